"""The project's JavaScript/TypeScript modules as one index: each file's tree, what it imports
(`require` and `import`, instances made with `new` included), and the functions it defines or exports
by name, so a handler named in one file (`ctrl.show`) is found in another."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from shopfloor.gate.security.js_ast import FUNCTIONS, JNode, callee, dotted, parse_js, string_value

_EXTS = (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx", ".mts", ".cts")


@dataclass
class JsModule:
    rel: str
    root: JNode
    text: str
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module: a project path or a package name, member: a name, `*` or `default`)."""
    defs: dict[str, JNode] = field(default_factory=dict)
    """Function name (also `Class.method`, an export's name, `this.x`'s x) -> its node."""
    default: JNode | None = None
    """`module.exports = function ...` / `export default function ...`."""

    def canonical(self, name: str) -> str:
        """`exec` -> `child_process.exec` when it was imported from there; local names stay as they are."""
        head, _, rest = name.partition(".")
        found = self.imports.get(head)
        if found is None:
            return name
        module, member = found
        base = module if member in {"*", "default"} else f"{module}.{member}"
        return f"{base}.{rest}" if rest else base


class JsProject:
    def __init__(self) -> None:
        self.modules: dict[str, JsModule] = {}
        self._pending: list[tuple[str, str]] = []

    def add(self, rel: str, text: str) -> None:
        self._pending.append((rel, text))

    def load(self) -> None:
        """Parse what was added (once); resolving imports needs every path known first."""
        paths = {rel for rel, _ in self._pending}
        for rel, text in self._pending:
            root = parse_js(text, rel)
            mod = JsModule(rel, root, text)
            _index(mod, paths)
            self.modules[rel] = mod
        self._pending = []

    def function(self, mod: JsModule, ref: JNode | None) -> tuple[JsModule, JNode] | None:
        """The function a handler expression refers to: inline, a local name, an import, `obj.method`,
        or the first argument of a wrapper (`asyncHandler(ctrl.show)`)."""
        if ref is None:
            return None
        if ref.kind in FUNCTIONS:
            return mod, ref
        if ref.kind == "call_expression":
            args = ref.get("arguments")
            inner = args.children[0] if args is not None and args.children else None
            return self.function(mod, inner)
        name = dotted(ref)
        if not name:
            return None
        head, _, member = name.rpartition(".")
        if not head:
            if name in mod.defs:
                return mod, mod.defs[name]
            return self._imported(mod, name)
        target = self._imported_module(mod, head.split(".")[0])
        if target is not None:
            node = target.defs.get(member)
            return (target, node) if node is not None else None
        node = mod.defs.get(member) or mod.defs.get(name)
        return (mod, node) if node is not None else None

    def _imported(self, mod: JsModule, name: str) -> tuple[JsModule, JNode] | None:
        found = mod.imports.get(name)
        if found is None or found[0] not in self.modules:
            return None
        target = self.modules[found[0]]
        member = found[1]
        node = target.default if member in {"*", "default"} else target.defs.get(member)
        return (target, node) if node is not None else None

    def _imported_module(self, mod: JsModule, name: str) -> JsModule | None:
        found = mod.imports.get(name)
        return self.modules.get(found[0]) if found is not None else None

    def module_of(self, mod: JsModule, name: str) -> JsModule | None:
        return self._imported_module(mod, name)


def resolve_path(rel: str, spec: str, paths: set[str]) -> str:
    """`./routes/admin` from `src/app.js` -> `src/routes/admin.js` when that file exists; a package's
    name as it is (`node:fs` as `fs`)."""
    if not spec.startswith("."):
        return spec.removeprefix("node:")
    base = posixpath.normpath(posixpath.join(posixpath.dirname(rel), spec))
    for candidate in [base, *(base + e for e in _EXTS), *(f"{base}/index{e}" for e in _EXTS)]:
        if candidate in paths:
            return candidate
    return base


def _require_of(node: JNode | None) -> tuple[str, str] | None:
    """(spec, member) for `require('x')`, `require('x').y` and `new (require('x'))()`."""
    if node is None:
        return None
    if node.kind == "member_expression":
        inner = _require_of(node.get("object"))
        prop = node.get("property")
        return (inner[0], prop.text) if inner and prop is not None else None
    if node.kind == "call_expression" and callee(node) == "require":
        args = node.get("arguments")
        spec = string_value(args.children[0]) if args is not None and args.children else None
        return (spec, "*") if spec else None
    if node.kind == "await_expression" and node.children:
        return _require_of(node.children[0])
    return None


def _index(mod: JsModule, paths: set[str]) -> None:
    for node in mod.root.walk():
        if node.kind == "import_statement":
            _import(mod, node, paths)
        elif node.kind == "variable_declarator":
            _declarator(mod, node, paths)
        elif node.kind in {"function_declaration", "generator_function_declaration"}:
            name = node.get("name")
            if name is not None:
                mod.defs[name.text] = node
            if (
                node.parent is not None
                and node.parent.kind == "export_statement"
                and "default" in node.parent.text[:20]
            ):
                mod.default = node
        elif node.kind == "method_definition":
            _method(mod, node)
        elif node.kind == "assignment_expression":
            _assignment(mod, node)
        elif node.kind == "export_statement" and node.text.startswith("export default"):
            value = node.children[-1] if node.children else None
            if value is not None and value.kind in FUNCTIONS:
                mod.default = value


def _import(mod: JsModule, node: JNode, paths: set[str]) -> None:
    spec = string_value(node.get("source"))
    if not spec:
        return
    target = resolve_path(mod.rel, spec, paths)
    for clause in node.children:
        if clause.kind != "import_clause":
            continue
        for part in clause.children:
            if part.kind == "identifier":
                mod.imports[part.text] = (target, "default")
            elif part.kind == "namespace_import" and part.children:
                mod.imports[part.children[-1].text] = (target, "*")
            elif part.kind == "named_imports":
                for spec_node in part.children:
                    names = [c.text for c in spec_node.children if c.kind == "identifier"]
                    if names:
                        mod.imports[names[-1]] = (target, names[0])


def _declarator(mod: JsModule, node: JNode, paths: set[str]) -> None:
    name, value = node.get("name"), node.get("value")
    if name is None or value is None:
        return
    required = _require_of(value)
    if value.kind == "new_expression":  # const ctl = new Controller(db): its methods are Controller's
        cls = dotted(value.get("constructor"))
        if cls in mod.imports and name.kind == "identifier":
            mod.imports[name.text] = (mod.imports[cls][0], "*")
        required = _require_of(value.get("constructor")) or required
    if required is not None:
        target = resolve_path(mod.rel, required[0], paths)
        if name.kind == "identifier":
            mod.imports[name.text] = (target, required[1])
        elif name.kind == "object_pattern":
            for part in name.children:
                if part.kind == "shorthand_property_identifier_pattern":
                    mod.imports[part.text] = (target, part.text)
                elif part.kind == "pair_pattern":
                    key, local = part.get("key"), part.get("value")
                    if key is not None and local is not None:
                        mod.imports[local.text] = (target, key.text)
        return
    if name.kind == "identifier" and value.kind in FUNCTIONS:
        mod.defs.setdefault(name.text, value)
    elif name.kind == "identifier" and value.kind == "call_expression":
        # const show = catchAsync(async (req, res) => ...): the handler is the wrapped function
        args = value.get("arguments")
        inner = args.children[0] if args is not None and args.children else None
        if inner is not None and inner.kind in FUNCTIONS:
            mod.defs.setdefault(name.text, inner)
    elif name.kind == "identifier" and value.kind == "object":
        _object_defs(mod, value)


def _method(mod: JsModule, node: JNode) -> None:
    name = node.get("name")
    if name is None:
        return
    mod.defs.setdefault(name.text, node)
    cls = next((a for a in node.ancestors() if a.kind in {"class_declaration", "class"}), None)
    cls_name = cls.get("name") if cls is not None else None
    if cls_name is not None:
        mod.defs[f"{cls_name.text}.{name.text}"] = node


def _assignment(mod: JsModule, node: JNode) -> None:
    left, right = node.get("left"), node.get("right")
    if left is None or right is None:
        return
    target = dotted(left)
    if target in {"module.exports", "exports"}:
        if right.kind in FUNCTIONS:
            mod.default = right
        elif right.kind == "object":
            _object_defs(mod, right)
        elif right.kind == "identifier" and right.text in mod.defs:
            mod.default = mod.defs[right.text]
        return
    if right.kind in FUNCTIONS and "." in target:
        # module.exports.show = fn, exports.show = fn, this.show = fn, Ctl.prototype.show = fn
        mod.defs.setdefault(target.rpartition(".")[2], right)


def _object_defs(mod: JsModule, obj: JNode) -> None:
    for child in obj.children:
        if child.kind == "pair":
            key, value = child.get("key"), child.get("value")
            if key is not None and value is not None and value.kind in FUNCTIONS:
                mod.defs.setdefault(string_value(key) or key.text, value)
        elif child.kind == "method_definition":
            _method(mod, child)
