"""Python sinks: the calls where request data turns into SQL, a shell command, code, a template, an
object graph, a file path, a redirect, an outbound request or raw HTML."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.security.py_modules import Project, arg, dotted, keyword, str_value
from shopfloor.gate.security.py_taint import Walker, literal_text
from shopfloor.gate.security.taint import CLEAN, SCHEMA_SQL, SinkHit, Summary, Taint, hit_severity

_SHELL = {
    "os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "popen2.popen2", "commands.getoutput",
    "commands.getstatusoutput", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell", "os.execl", "os.execlp", "os.execv", "os.execvp", "os.spawnl",
    "os.spawnlp", "os.spawnv", "os.spawnvp", "pty.spawn",
}  # fmt: skip
_SUBPROCESS = {
    "subprocess.run", "subprocess.call", "subprocess.Popen", "subprocess.check_output",
    "subprocess.check_call", "asyncio.create_subprocess_exec",
}  # fmt: skip
_CODE = {
    "eval", "exec", "compile", "execfile", "builtins.eval", "builtins.exec", "PIL.ImageMath.eval",
    "PIL.ImageMath.unsafe_eval", "ImageMath.eval", "numexpr.evaluate", "asteval.Interpreter.eval",
}  # fmt: skip
_TEMPLATE = {
    "flask.render_template_string", "jinja2.Template", "django.template.Template", "mako.template.Template",
    "jinja2.Environment.from_string", "Environment.from_string",
}  # fmt: skip
_DESER = {
    "pickle.loads", "pickle.load", "cPickle.loads", "cPickle.load", "_pickle.loads", "_pickle.load",
    "dill.loads", "dill.load", "marshal.loads", "marshal.load", "jsonpickle.decode", "yaml.unsafe_load",
    "yaml.unsafe_load_all", "pandas.read_pickle", "shelve.open",
}  # fmt: skip
_PATH = {
    "open", "io.open", "codecs.open", "flask.send_file", "os.remove", "os.unlink", "os.rmdir",
    "os.removedirs", "os.rename", "shutil.rmtree", "shutil.copy", "shutil.copyfile", "shutil.move",
    "starlette.responses.FileResponse", "fastapi.responses.FileResponse", "aiohttp.web.FileResponse",
    "tarfile.open", "zipfile.ZipFile",
}  # fmt: skip
_PATH_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir"}
_REDIRECTS = {
    "redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse", "HTTPFound",
    "HTTPSeeOther", "HTTPMovedPermanently", "HTTPTemporaryRedirect", "HTTPPermanentRedirect",
}  # fmt: skip
_HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
_SSRF = {"urllib.request.urlopen", "urllib2.urlopen", "urllib.urlopen", "urllib.request.Request", "urlopen"}
_SQL = {"execute", "executemany", "executescript", "exec_driver_sql", "mogrify", "raw", "read_sql",
        "read_sql_query", "RawSQL", "extra"}  # fmt: skip
_HTML_MARK = {"markupsafe.Markup", "flask.Markup", "jinja2.Markup", "Markup", "mark_safe", "SafeString"}
_RESPONSES = {"HttpResponse", "make_response", "Response", "HTMLResponse", "web.Response"}
_SAFE_LOADERS = re.compile(r"Safe|Base")
_HTML = re.compile(r"<\s*[a-zA-Z!/][^>]*>?")
_FIXED_URL = re.compile(r"^(https?:)?//[^/]+/|^/(?!/)")


def check_call(
    call: ast.Call | ast.Compare, w: Walker, project: Project, summaries: dict[str, Summary]
) -> None:
    """Record every sink this call is, and every sink it reaches through a function of the project;
    a comparison is checked for an authorization decision made on what the client sent."""
    if isinstance(call, ast.Compare):
        _client_decides(call, w)
        return
    name = w.ctx.module.canonical(dotted(call.func))
    _plaintext_password(name, call, w)
    for kind, value in _sinks(name, call, w):
        _hit(w, kind, call, value, _display(name))
    _through(call, w, project, summaries)


def check_return(value: ast.expr, w: Walker) -> None:
    """A Flask view's string is sent as HTML: request data in it, around markup, is reflected XSS."""
    if w.ctx.handler and _HTML.search(literal_text(value)):
        _hit(w, "xss", value, value, "the returned HTML")


def _sinks(name: str, call: ast.Call, w: Walker) -> list[tuple[str, ast.expr | None]]:
    last = name.rpartition(".")[2]
    first = arg(call, 0)
    out: list[tuple[str, ast.expr | None]] = []
    if name in _SHELL:
        out.append(("shell", first))
    elif name in _SUBPROCESS:
        shell = keyword(call, "shell")
        if isinstance(shell, ast.Constant) and shell.value is True:
            out.append(("shell", first))
        elif isinstance(first, ast.List | ast.Tuple):
            out.append(("shell", first.elts[0] if first.elts else None))
        else:
            out.append(("shell", first))
    elif name in _CODE:
        out.append(("code", first))
    elif name in _TEMPLATE or last in {"render_template_string", "from_string"}:
        out.append(("template", first))
    elif name in _DESER:
        out.append(("deser", first))
    elif name in {"yaml.load", "yaml.load_all"}:
        loader = keyword(call, "Loader") or arg(call, 1)
        if not (loader is not None and _SAFE_LOADERS.search(dotted(loader))):
            out.append(("deser", first))
    elif name in _PATH or name.endswith(".send_file"):
        out.append(("path", arg(call, 0, "path") or arg(call, 0, "file")))
    elif isinstance(call.func, ast.Attribute) and call.func.attr in _PATH_METHODS:
        out.append(("path", call.func.value))
    elif last in _REDIRECTS:
        target = arg(call, 0, "url") or keyword(call, "location") or keyword(call, "redirect_to")
        if target is not None and not _FIXED_URL.match(_leading_literal(target)):
            out.append(("redirect", target))
    elif name in _SSRF or (name.startswith(("requests.", "httpx.")) and last in _HTTP_VERBS):
        url = arg(call, 1, "url") if last == "request" else arg(call, 0, "url")
        if url is not None and not _FIXED_URL.match(_leading_literal(url)):
            out.append(("ssrf", url))
    elif last in _SQL or (last == "text" and "sqlalchemy" in name):
        out.append(("sql", arg(call, 0, "sql") or keyword(call, "query") or keyword(call, "statement")))
    elif name in _HTML_MARK or last in _HTML_MARK:
        out.append(("xss", first))
    elif (last in _RESPONSES or name.endswith("web.Response")) and w.ctx.handler:
        body = first or keyword(call, "text") or keyword(call, "content") or keyword(call, "body")
        if body is not None and _HTML.search(literal_text(body)):
            out.append(("xss", body))
    out += _where_clauses(call)
    out += _backtracking(name, call)
    return out


_RE_CALLS = {"match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]")
"""A group that repeats and holds a repetition itself, `(a+)+`: backtracking is exponential."""


def _backtracking(name: str, call: ast.Call) -> list[tuple[str, ast.expr | None]]:
    """`re.match('(a+)+$', value)` or `re.compile('(a+)+$').match(value)` on the value."""
    head, _, last = name.rpartition(".")
    if last not in _RE_CALLS:
        return []
    if head == "re" and len(call.args) >= 2:
        pattern, subject = str_value(call.args[0]), call.args[1]
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call) and call.args:
        compiled = call.func.value
        pattern = (
            str_value(compiled.args[0])
            if dotted(compiled.func).endswith("compile") and compiled.args
            else None
        )
        subject = call.args[0]
    else:
        return []
    return [("redos", subject)] if pattern and NESTED_QUANTIFIER.search(pattern) else []


_PRIVILEGE = re.compile(r"admin|role|root|superuser|privileg|staff|is_?admin|permission", re.IGNORECASE)
_PASSWORD_KEY = re.compile(r"^(password|passwd|pwd|pass)$", re.IGNORECASE)
_HASHED = re.compile(r"hash|digest|crypt|encoded", re.IGNORECASE)
_PERSIST = re.compile(r"^(create|insert|insert_one|save|update|update_one|add|bulk_create|get_or_create)$")


def _client_decides(cmp: ast.Compare, w: Walker) -> None:
    """`if request.COOKIES.get("admin") == "1"`: a privilege granted on a value the client chose."""
    parts = [cmp.left, *cmp.comparators]
    literal = next((str_value(p) for p in parts if str_value(p) is not None), None)
    sent = next((p for p in parts if w.taint(p).from_request()), None)
    if literal is None or sent is None or "@" in literal:
        return  # a fixed address compared with the one submitted routes a message; it grants nothing
    if _PRIVILEGE.search(literal) or _PRIVILEGE.search(ast.unparse(sent)):
        w.ctx.hits.append(
            SinkHit("client-auth", w.ctx.module.rel, cmp.lineno, "a privilege check", w.taint(sent))
        )


def _plaintext_password(name: str, call: ast.Call, w: Walker) -> None:
    """A password from the request or a caller stored as it came (`Model.objects.create(password=p)`)."""
    last = name.rpartition(".")[2]
    if not _PERSIST.match(last) or last in {"create_user", "create_superuser"}:
        return
    for kw in call.keywords:
        if kw.arg and _PASSWORD_KEY.match(kw.arg) and not _HASHED.search(ast.unparse(kw.value)):
            taint = w.taint(kw.value)
            if taint.from_request() or taint.params():
                hit = SinkHit("plaintext", w.ctx.module.rel, call.lineno, f"{name}()", taint)
                w.ctx.hits.append(hit)


def _where_clauses(call: ast.Call) -> list[tuple[str, ast.expr | None]]:
    """MongoDB's `$where` runs JavaScript on the server: request data in it is injection."""
    found: list[tuple[str, ast.expr | None]] = []
    for a in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(a, ast.Dict):
            for k, v in zip(a.keys, a.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == "$where":
                    found.append(("nosql", v))
    return found


def _leading_literal(node: ast.expr) -> str:
    """The constant text a string expression starts with ('/items/' in f'/items/{id}')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_literal(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _leading_literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _leading_literal(node.func.value)
    return ""


def _display(name: str) -> str:
    return f"{name}()" if name else "a call"


def _hit(w: Walker, kind: str, at: ast.AST, value: ast.expr | None, callee: str) -> None:
    if value is None:
        return
    taint = w.taint(value)
    if not taint.reaches(kind):
        return
    built = bound = schema = False
    if kind == "sql" and isinstance(at, ast.Call):
        built = w.builds_sql(value)
        bound = len(at.args) > 1 or any(k.arg in {"params", "parameters", "args"} for k in at.keywords)
        schema = built and bool(SCHEMA_SQL.match(w.sql_text(value)))
    line = getattr(at, "lineno", 1)
    w.ctx.hits.append(SinkHit(kind, w.ctx.module.rel, line, callee, taint, built, bound, schema))


def _through(call: ast.Call, w: Walker, project: Project, summaries: dict[str, Summary]) -> None:
    """A call to one of the project's functions whose parameter reaches a sink: check the argument."""
    found = project.lookup(w.ctx.module, dotted(call.func)) if dotted(call.func) else None
    if found is None:
        return
    mod, qual = found
    summary = summaries.get(f"{mod.rel}:{qual}") or summaries.get(f"{mod.rel}:{qual}.__init__")
    if summary is None or not summary.flows:
        return
    params = summary.params[1:] if summary.method else summary.params
    for param, flows in summary.flows.items():
        value = _argument_for(call, params, param)
        taint = w.taint(value) if value is not None else CLEAN
        for flow in flows:
            if not taint.reaches(flow.kind) or not flow.taint.reaches(flow.kind):
                continue
            if hit_severity(flow) == "high":
                continue  # the sink is reported where it is; this call adds nothing
            carried = Taint(taint.kinds & flow.taint.kinds, taint.origins)
            via = flow.via or f"{qual.rpartition('.')[2]}() at {flow.file}:{flow.line}"
            w.ctx.hits.append(
                SinkHit(
                    flow.kind,
                    w.ctx.module.rel,
                    call.lineno,
                    flow.callee,
                    carried,
                    flow.built,
                    bound=flow.bound,
                    schema=flow.schema,
                    via=via,
                )
            )


def _argument_for(call: ast.Call, params: list[str], param: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == param:
            return k.value
    if param in params:
        index = params.index(param)
        if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return call.args[index]
    return None
