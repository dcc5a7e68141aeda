"""JavaScript sinks: shell commands, evaluated code (eval, new Function, vm, mathjs), unserialize,
raw SQL, MongoDB `$where` and whole request objects as filters, file paths, redirects, outbound
requests, templates compiled from request data and HTML written back unescaped."""

from __future__ import annotations

import re

from shopfloor.gate.security.js_ast import JNode, arguments, callee, dotted, literal_text, object_pairs
from shopfloor.gate.security.js_project import JsProject
from shopfloor.gate.security.js_taint import JsWalker
from shopfloor.gate.security.taint import CLEAN, SCHEMA_SQL, SinkHit, Summary, Taint, hit_severity

_SHELL = {"child_process.exec", "child_process.execSync", "shelljs.exec"}
_SPAWN = {
    "child_process.spawn",
    "child_process.spawnSync",
    "child_process.execFile",
    "child_process.execFileSync",
}
_CODE_FIRST = {
    "vm.runInNewContext", "vm.runInThisContext", "vm.runInContext", "vm.compileFunction", "vm.Script",
    "mathjs.eval", "mathjs.evaluate", "safe-eval", "setTimeout", "setInterval", "setImmediate",
}  # fmt: skip
_DESER = {
    "node-serialize.unserialize",
    "funcster.deepDeserialize",
    "cryo.parse",
    "serialize-javascript.deserialize",
}
_SQL = {
    "query", "execute", "raw", "$queryRawUnsafe", "$executeRawUnsafe", "whereRaw", "havingRaw",
    "orderByRaw", "joinRaw", "unsafe", "exec", "run", "all", "each", "prepare",
}  # fmt: skip
_SQL_RECEIVER = re.compile(
    r"db|sql|conn|connection|pool|client|knex|sequelize|prisma|database|pg|mysql|query|tx|trx", re.I
)
_MONGO = {"find", "findOne", "findOneAndUpdate", "findOneAndDelete", "updateOne", "updateMany", "deleteOne",
          "deleteMany", "remove", "count", "countDocuments", "update", "where"}  # fmt: skip
_FS = {
    "readFile", "readFileSync", "createReadStream", "writeFile", "writeFileSync", "appendFile",
    "appendFileSync", "unlink", "unlinkSync", "readdir", "readdirSync", "rm", "rmSync", "createWriteStream",
    "open", "openSync", "rename", "renameSync", "copyFile", "copyFileSync",
}  # fmt: skip
_HTTP = ("axios", "node-fetch", "request", "needle", "got", "superagent", "http.", "https.", "undici")
_TEMPLATES = {
    "ejs.render", "ejs.compile", "pug.render", "pug.compile", "jade.render", "jade.compile",
    "handlebars.compile", "Handlebars.compile", "lodash.template", "_.template", "nunjucks.renderString",
    "doT.template", "dot.template",
}  # fmt: skip
_RESPONSE = re.compile(r"^(res|response|reply|ctx|resp)$")
_HTML = re.compile(r"<\s*[a-zA-Z!/][^>]*>?")
_FIXED_URL = re.compile(r"^(https?:)?//[^/]+/|^/(?!/)")


def check_call(call: JNode, w: JsWalker, project: JsProject, summaries: dict[str, Summary]) -> None:
    if call.kind in {"pair", "shorthand_property_identifier"}:
        _property(call, w)
        return
    if call.kind == "binary_expression":
        _client_decides(call, w)
        return
    name = _name(call, w)
    for kind, value in _sinks(name, call, w):
        _hit(w, kind, call, value, f"{name or 'a call'}()")
    _through(call, w, project, summaries)


def check_return(value: JNode, w: JsWalker) -> None:
    """Returned values are JSON in the frameworks we model; nothing to check."""


def _name(call: JNode, w: JsWalker) -> str:
    func = call.get("function") or call.get("constructor")
    if func is not None and func.kind == "member_expression":
        obj = func.get("object")
        if obj is not None and obj.kind == "call_expression" and callee(obj) == "require":
            spec = arguments(obj)[0].text.strip("'\"`") if arguments(obj) else ""
            prop = func.get("property")
            return f"{spec}.{prop.text}" if prop is not None else spec
    return w.ctx.module.canonical(callee(call))


def _sinks(name: str, call: JNode, w: JsWalker) -> list[tuple[str, JNode | None]]:
    args = arguments(call)
    first = args[0] if args else None
    last = name.rpartition(".")[2]
    head = name.rpartition(".")[0]
    out: list[tuple[str, JNode | None]] = []
    if name in _SHELL:
        out.append(("shell", first))
    elif name in _SPAWN:
        out.append(("shell", first))
        options = object_pairs(args[2]) if len(args) > 2 else {}
        if "shell" in options and options["shell"].kind == "true" and len(args) > 1:
            out.append(("shell", args[1]))
    elif name == "eval" or name in {"Function", "global.eval", "window.eval"}:
        out += [("code", a) for a in (args if name == "Function" else args[:1])]
    elif name in _CODE_FIRST:
        if (
            first is not None and first.kind not in {"arrow_function", "function_expression", "identifier"}
        ) or name.startswith(("vm.", "mathjs", "safe-eval")):
            out.append(("code", first))
    elif name in _DESER:
        out.append(("deser", first))
    elif name in _TEMPLATES:
        out.append(("template", first))
    elif head.startswith(("fs", "fs/promises", "fs-extra")) and last in _FS:
        out.append(("path", first))
    elif last in {"sendFile", "download"} and _RESPONSE.match(head.split(".")[0]):
        options = object_pairs(args[1]) if len(args) > 1 else {}
        if "root" not in options:
            out.append(("path", first))
    elif last == "redirect" and _RESPONSE.match(head.split(".")[0]) and args:
        target = args[-1]
        if not _FIXED_URL.match(_leading_literal(target)):
            out.append(("redirect", target))
    elif name == "fetch" or name.startswith(_HTTP):
        url = _url_arg(name, args)
        if url is not None and not _FIXED_URL.match(_leading_literal(url)):
            out.append(("ssrf", url))
    elif last in {"send", "write", "end"} and _RESPONSE.match(head.split(".")[0]) and first is not None:
        if _HTML.search(literal_text(first)):
            out.append(("xss", first))
    elif last in _SQL and head and _sql_receiver(head, call):
        args_node = call.get("arguments")
        if args_node is not None and args_node.kind == "arguments":
            out.append(("sql", first))
    if last in _MONGO and first is not None and _is_request_object(first, w):
        out.append(("nosql", first))
    if last in {"test", "exec", "match", "matchAll", "replace", "search", "split"} and args:
        pattern = _regex_of(call, w)
        if pattern is not None and NESTED_QUANTIFIER.search(pattern):
            out.append(("redos", args[0] if last in {"test", "exec"} else call.get("function")))
    return out


NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]")
"""A group that repeats and holds a repetition itself, `(a+)+`: backtracking is exponential."""


def _regex_of(call: JNode, w: JsWalker) -> str | None:
    """The pattern of a regex literal a method is called on (`/x/.test(v)`, `re.test(v)` for a
    `const re = /x/` of the same module, `s.match(/x/)`)."""
    func = call.get("function")
    receiver = func.get("object") if func is not None and func.kind == "member_expression" else None
    candidates = [receiver, *arguments(call)[:1]]
    for node in candidates:
        if node is None:
            continue
        if node.kind == "regex":
            return node.text
        if node.kind == "identifier":
            for decl in w.ctx.module.root.walk():
                if decl.kind == "variable_declarator":
                    name, value = decl.get("name"), decl.get("value")
                    if (
                        name is not None
                        and name.text == node.text
                        and value is not None
                        and value.kind == "regex"
                    ):
                        return value.text
    return None


_PRIVILEGE = re.compile(r"admin|role|root|superuser|privileg|staff|permission", re.IGNORECASE)
_PASSWORD_KEY = re.compile(r"^(password|passwd|pwd|pass)$", re.IGNORECASE)
_HASHED = re.compile(r"hash|digest|crypt|encoded", re.IGNORECASE)
_PERSIST = re.compile(r"^(insert\w*|create|save|update\w*|upsert|findOneAndUpdate|replaceOne)$")


def _property(node: JNode, w: JsWalker) -> None:
    """`{ $where: ... }` anywhere, and a password stored as it came (`{ password }` then `insert`)."""
    if node.kind == "shorthand_property_identifier":
        key, value = node.text, node
    else:
        key_node, value_node = node.get("key"), node.get("value")
        if key_node is None or value_node is None:
            return
        key, value = key_node.text.strip("'\"`"), value_node
    if key == "$where":
        _hit(w, "nosql", node, value, "a MongoDB $where clause")
        return
    if (
        not _PASSWORD_KEY.match(key)
        or _HASHED.search(value.text)
        or value.kind not in {"identifier", "member_expression", "shorthand_property_identifier"}
    ):
        return
    taint = w.taint(value) if value.kind != "shorthand_property_identifier" else w.env.get(value.text, CLEAN)
    func = w.ctx.func
    persists = func is not None and any(
        n.kind == "call_expression" and _PERSIST.match(callee(n).rpartition(".")[2] or "")
        for n in func.walk()
    )
    if persists and (taint.from_request() or taint.params()):
        w.ctx.hits.append(SinkHit("plaintext", w.ctx.module.rel, node.line, "a stored record", taint))


def _client_decides(cmp: JNode, w: JsWalker) -> None:
    """`if (req.cookies.admin === '1')`: a privilege granted on a value the client chose."""
    sides = [cmp.get("left"), cmp.get("right")]
    literal = next((s.text for s in sides if s is not None and s.kind == "string"), None)
    sent = next((s for s in sides if s is not None and w.taint(s).from_request()), None)
    if literal is None or sent is None or "@" in literal:
        return  # a fixed address compared with the one submitted routes a message; it grants nothing
    if _PRIVILEGE.search(literal) or _PRIVILEGE.search(sent.text):
        w.ctx.hits.append(
            SinkHit("client-auth", w.ctx.module.rel, cmp.line, "a privilege check", w.taint(sent))
        )


def _sql_receiver(head: str, call: JNode) -> bool:
    if head.split(".")[0] in {"req", "request", "res", "child_process", "cp", "regex", "re", "RegExp"}:
        return False
    return bool(_SQL_RECEIVER.search(head)) or head.startswith("this.")


def _is_request_object(node: JNode, w: JsWalker) -> bool:
    """`req.body` or `req.query` passed whole as a filter: `{ "$ne": null }` in it matches everything."""
    if node.kind != "member_expression":
        return False
    obj, prop = node.get("object"), node.get("property")
    return obj is not None and prop is not None and prop.text in {"body", "query"} and w.is_request(obj)


def _url_arg(name: str, args: list[JNode]) -> JNode | None:
    if not args:
        return None
    pairs = object_pairs(args[0])
    if "url" in pairs:
        return pairs["url"]
    if name in {"needle", "request"} and len(args) > 1 and args[0].kind == "string":
        return args[1]
    return args[0]


def _leading_literal(node: JNode) -> str:
    if node.kind == "string":
        return "".join(c.text for c in node.children if c.kind == "string_fragment")
    if node.kind == "template_string":
        first = node.children[0] if node.children else None
        return first.text if first is not None and first.kind == "string_fragment" else ""
    if node.kind == "binary_expression" and node.op == "+":
        left = node.get("left")
        return _leading_literal(left) if left is not None else ""
    return ""


def _hit(w: JsWalker, kind: str, call: JNode, value: JNode | None, display: str) -> None:
    if value is None:
        return
    taint = w.taint(value)
    if not taint.reaches(kind):
        return
    built = bound = schema = False
    if kind == "sql":
        built = w.builds_sql(value)
        schema = built and bool(SCHEMA_SQL.match(w.sql_text(value)))
        args = arguments(call)
        second = args[1] if len(args) > 1 else None
        bound = second is not None and (
            second.kind == "array" or bool({"replacements", "bind", "values"} & set(object_pairs(second)))
        )
    w.ctx.hits.append(SinkHit(kind, w.ctx.module.rel, call.line, display, taint, built, bound, schema))


def _through(call: JNode, w: JsWalker, project: JsProject, summaries: dict[str, Summary]) -> None:
    func = call.get("function")
    if func is None or not dotted(func):
        return
    found = project.function(w.ctx.module, func)
    if found is None:
        return
    mod, node = found
    summary = summaries.get(f"{mod.rel}:{node.start}")
    if summary is None:
        return
    args = arguments(call)
    for param, flows in summary.flows.items():
        index = summary.params.index(param) if param in summary.params else -1
        taint = w.taint(args[index]) if 0 <= index < len(args) else CLEAN
        for flow in flows:
            if (
                not taint.reaches(flow.kind)
                or not flow.taint.reaches(flow.kind)
                or hit_severity(flow) == "high"
            ):
                continue
            carried = Taint(taint.kinds & flow.taint.kinds, taint.origins)
            via = flow.via or f"{dotted(func).rpartition('.')[2]}() at {flow.file}:{flow.line}"
            w.ctx.hits.append(
                SinkHit(
                    flow.kind,
                    w.ctx.module.rel,
                    call.line,
                    flow.callee,
                    carried,
                    flow.built,
                    bound=flow.bound,
                    schema=flow.schema,
                    via=via,
                )
            )
