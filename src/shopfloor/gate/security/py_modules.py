"""The project's Python modules as one index: parsed trees, what each module imports, and where each
function and class is defined, so a name in one module can be followed to its definition in another."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import PurePosixPath

Func = ast.FunctionDef | ast.AsyncFunctionDef


def dotted(node: ast.AST | None) -> str:
    """`a.b.c` for names and attributes, the callee's name for calls, '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def str_value(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def arg(call: ast.Call, index: int, name: str | None = None) -> ast.expr | None:
    """The argument at `index`, or the keyword `name` when it is passed that way."""
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return keyword(call, name) if name else None


def module_name(rel: str) -> str:
    """`src/app/api/routes.py` -> `app.api.routes`; a package's `__init__.py` names the package."""
    parts = list(PurePosixPath(rel).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@dataclass
class Module:
    rel: str
    tree: ast.Module
    text: str
    name: str
    imports: dict[str, str] = field(default_factory=dict)
    """Local name -> what it stands for, fully dotted (`Popen` -> `subprocess.Popen`)."""
    functions: dict[str, Func] = field(default_factory=dict)
    """Qualified name (`f`, `Class.method`) -> definition."""
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    parents: dict[int, ast.AST] = field(default_factory=dict)
    """id(node) -> its parent node, for every node of the tree."""
    nodes: list[ast.AST] = field(default_factory=list)
    """Every node of the tree in `ast.walk` order, walked once for the many passes over it."""

    def canonical(self, name: str) -> str:
        """A dotted name with its first part replaced by what the module imported under that name."""
        head, _, rest = name.partition(".")
        full = self.imports.get(head)
        if full is None:
            return name
        return f"{full}.{rest}" if rest else full

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))


def load_module(rel: str, tree: ast.Module, text: str) -> Module:
    mod = Module(rel=rel, tree=tree, text=text, name=module_name(rel))
    package = mod.name if rel.endswith("__init__.py") else mod.name.rpartition(".")[0]
    for node in ast.walk(tree):
        mod.nodes.append(node)
        for child in ast.iter_child_nodes(node):
            mod.parents[id(child)] = node
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    mod.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    mod.imports[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                if alias.name != "*":
                    mod.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    _index_defs(mod, tree.body, "")
    return mod


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _index_defs(mod: Module, body: list[ast.stmt], prefix: str) -> None:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mod.functions[prefix + node.name] = node
        elif isinstance(node, ast.ClassDef):
            mod.classes[prefix + node.name] = node
            _index_defs(mod, node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.If | ast.Try):
            _index_defs(mod, node.body, prefix)


@dataclass
class Project:
    """Every parsed module of the tree, by path and by dotted name."""

    modules: dict[str, Module] = field(default_factory=dict)
    by_name: dict[str, Module] = field(default_factory=dict)
    _defs_by_short: dict[str, list[tuple[Module, str]]] = field(default_factory=dict)
    _lookups: dict[str, Module | None] = field(default_factory=dict)

    def add(self, mod: Module) -> None:
        self.modules[mod.rel] = mod
        self.by_name[mod.name] = mod
        self._lookups.clear()
        for qual in list(mod.functions) + list(mod.classes):
            self._defs_by_short.setdefault(qual.rpartition(".")[2], []).append((mod, qual))

    def module(self, dotted_name: str) -> Module | None:
        """The module a dotted name refers to, trying shorter suffix matches (`app.views` for
        `backend/app/views.py`)."""
        if dotted_name in self.by_name:
            return self.by_name[dotted_name]
        if dotted_name not in self._lookups:
            suffix = "." + dotted_name
            hits = [m for n, m in self.by_name.items() if n.endswith(suffix)]
            self._lookups[dotted_name] = hits[0] if len(hits) == 1 else None
        return self._lookups[dotted_name]

    def resolve(self, full: str) -> tuple[Module, str] | None:
        """A fully dotted name (`app.views.index`, `app.views.Note.get`) -> (module, qualified name)."""
        parts = full.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            mod = self.module(".".join(parts[:cut]))
            if mod is None:
                continue
            qual = ".".join(parts[cut:])
            if qual in mod.functions or qual in mod.classes:
                return mod, qual
            # `from app import views` then `views.index`: a module re-exported through its package.
            inner = self.module(".".join(parts[: cut + 1]))
            if inner is not None and cut + 1 < len(parts):
                rest = ".".join(parts[cut + 1 :])
                if rest in inner.functions or rest in inner.classes:
                    return inner, rest
        return None

    def lookup(self, mod: Module, name: str) -> tuple[Module, str] | None:
        """What a (dotted) name used in `mod` defines: a local definition, an import, or a unique name."""
        if name in mod.functions or name in mod.classes:
            return mod, name
        full = mod.canonical(name)
        if full != name or "." in name:
            found = self.resolve(full)
            if found is not None:
                return found
        return self.unique(name.rpartition(".")[2])

    def unique(self, short: str) -> tuple[Module, str] | None:
        hits = self._defs_by_short.get(short, [])
        return hits[0] if len(hits) == 1 else None

    def function(self, mod: Module, qual: str) -> Func | None:
        return mod.functions.get(qual)
