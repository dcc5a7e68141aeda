"""Checklist rules for Python read from the AST: SQL building, hard-coded secrets, secrets in logs."""

from __future__ import annotations

import ast
import re

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.python_routes import dotted

# The shape of a statement or clause, not lone words: "select", "where" and "update" are English too.
SQL_WORDS = re.compile(
    r"\bselect\b[\s\S]+?\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b|"
    r"\b(create|drop|alter|truncate)\s+(table|index|view|database|schema)\b|\bpragma\s+\w+|"
    r"\bwhere\s+[\w.\"`]+\s*(=|<|>|!=|\blike\b|\bin\b|\bis\b)|\border\s+by\s|\bvalues\s*\(",
    re.IGNORECASE,
)
_SQL_SINKS = {
    "execute",
    "executemany",
    "executescript",
    "exec_driver_sql",
    "raw",
    "text",
    "read_sql",
    "read_sql_query",
    "mogrify",
}
SECRET_NAME = re.compile(
    r"(^|_)(secret|secret_?key|jwt_?secret|signing_?key|api_?key|apikey|password|passwd|private_?key|"
    r"access_?token|auth_?token|client_?secret)$",
    re.IGNORECASE,
)
FIELD_LABELS = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "secret_key",
    "new_password",
}
_CONSTANT_NAME = re.compile(r"_?[A-Z][A-Z0-9_]*")
_NUMERIC = {"int", "float", "len", "round", "bool"}
_SENSITIVE_PART = {"password", "passwd", "pwd", "secret", "token", "apikey", "authorization", "credentials"}
_HIGH_PART = {"password", "passwd", "pwd", "secret", "token", "apikey"}
_BENIGN_LAST = {
    "type", "types", "count", "len", "length", "url", "uri", "name", "names", "id", "ids", "expires",
    "expiry", "exp", "endpoint", "header", "field", "policy", "min", "max", "reset", "hint", "required",
    "changed", "strength", "valid", "prefix", "scheme", "kind", "ttl", "age", "at", "file", "path",
}  # fmt: skip
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
_MASKING = re.compile(r"mask|redact|hash|censor|obfuscat|^len$|^bool$|^type$|digest", re.IGNORECASE)
_LOGGER_NAME = re.compile(r"(^|\.)(log|logger|logging|_log|_logger|LOGGER|LOG)$")


def split_identifier(name: str) -> list[str]:
    """`accessToken`, `ACCESS_TOKEN` and `access-token` all become ['access', 'token']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    parts = [p.lower() for p in re.split(r"[_\W]+", spaced) if p]
    joined: list[str] = []
    for p in parts:
        if joined and joined[-1] == "api" and p == "key":
            joined[-1] = "apikey"
        else:
            joined.append(p)
    return joined


def sensitive_level(name: str) -> Severity | None:
    """How sensitive a variable or field name is, judged by its words; None when it is not."""
    parts = split_identifier(name)
    if not parts or parts[-1] in _BENIGN_LAST or not _SENSITIVE_PART.intersection(parts):
        return None
    if "hashed" in parts or "hash" in parts:
        return "medium"
    return "high" if _HIGH_PART.intersection(parts) else "medium"


def check_python_source(rel: str, tree: ast.Module) -> list[Finding]:
    """SQL, secret and logging rules for one module."""
    out: list[Finding] = []
    scopes: list[ast.AST] = [tree] + [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    literals = _module_string_constants(tree)
    for scope in scopes:
        out += _sql_in_scope(rel, scope, set(literals))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            out += _jwt_key(rel, node, literals)
            out += _secret_kwargs(rel, node)
            out += _env_fallback(rel, node)
            out += _logged_secrets(rel, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            out += _secret_assignment(rel, node)
    return out


# --- SQL -------------------------------------------------------------------------------------------


def _is_dynamic_sql(node: ast.AST, built: dict[str, int], consts: set[str]) -> bool:
    """A string expression made at run time from non-constant parts that reads like SQL."""
    if isinstance(node, ast.Name):
        return node.id in built
    if isinstance(node, ast.JoinedStr | ast.BinOp) or _is_format(node):
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add | ast.Mod):
            return False
        return bool(SQL_WORDS.search(_literal_text(node))) and not _is_constant(node, consts)
    return False


def _is_format(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant | ast.JoinedStr)
    )


def _literal_text(node: ast.AST) -> str:
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _is_constant(node: ast.AST, consts: set[str]) -> bool:
    """Made only of literals and names bound to literals in the same scope (so nothing a caller sends)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        # ALL_CAPS names are constants by convention, wherever they were defined.
        return node.id in consts or bool(_CONSTANT_NAME.fullmatch(node.id))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NUMERIC:
        return True  # int(x), float(x), len(x): a number cannot carry SQL
    if isinstance(node, ast.FormattedValue):
        return _is_constant(node.value, consts)
    if isinstance(node, ast.JoinedStr):
        return all(_is_constant(v, consts) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, consts) and _is_constant(node.right, consts)
    if isinstance(node, ast.Tuple | ast.List):
        return all(_is_constant(e, consts) for e in node.elts)
    if isinstance(node, ast.Call) and _is_format(node) and isinstance(node.func, ast.Attribute):
        parts = [node.func.value, *node.args, *(k.value for k in node.keywords)]
        return all(_is_constant(p, consts) for p in parts)
    return False


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """Nodes of `scope` without those of nested functions, in source order."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(out, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def _sql_in_scope(rel: str, scope: ast.AST, module_consts: set[str]) -> list[Finding]:
    built: dict[str, int] = {}  # variable -> line where it was built from pieces
    consts = set(module_consts)  # variables holding nothing but literals
    out = []
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            built.pop(name, None)
            consts.discard(name)
            if _is_dynamic_sql(node.value, built, consts):
                built[name] = node.lineno
            elif _is_constant(node.value, consts):
                consts.add(name)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if not _is_constant(node.value, consts) and (name in built or _looks_sql_var(node)):
                built[name] = node.lineno
                consts.discard(name)
        elif isinstance(node, ast.Call) and node.args:
            sink = dotted(node.func).split(".")[-1]
            if sink in _SQL_SINKS and _is_dynamic_sql(node.args[0], built, consts):
                out.append(_sql_finding(rel, node, built))
    return out


def _looks_sql_var(node: ast.AugAssign) -> bool:
    return isinstance(node.target, ast.Name) and node.target.id.lower() in {"sql", "query", "stmt", "q"}


def _sql_finding(rel: str, call: ast.Call, built: dict[str, int]) -> Finding:
    arg = call.args[0]
    where = f" (built on line {built[arg.id]})" if isinstance(arg, ast.Name) else ""
    # Passing bind parameters as well means the interpolated part is most likely an identifier or a
    # clause list: worth a look, not a certain injection.
    with_params = len(call.args) > 1 or any(k.arg in {"params", "parameters"} for k in call.keywords)
    return Finding(
        file=rel,
        line=call.lineno,
        end_line=call.end_lineno,
        rule_id="sql-injection",
        severity="medium" if with_params else "high",
        message=f"SQL built from run-time values{where} is passed to {dotted(call.func)}().",
        fix_hint="Use placeholders and pass the values separately, e.g. execute('... WHERE id = ?', (uid,)) "
        "or SQLAlchemy text('... :id') with bound parameters.",
    )


# --- secrets ---------------------------------------------------------------------------------------


def _module_string_constants(tree: ast.Module) -> dict[str, int]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and _is_str(node.value):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.lineno
    return out


def _is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _plausible_secret(value: str, name: str) -> bool:
    v = value.strip()
    # Masks and fillers ("********", "xxxxxx") are placeholders, not secrets.
    if len(v) < 6 or len(set(v)) <= 2 or v.startswith(("$", "{", "<", "%")) or "{" in v:
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", v):
        return False  # the name of an environment variable or setting, not its value
    # A value that only repeats the field's own name, or names a field, is a label, not a secret.
    return v.lower().replace("-", "_") not in {name.lower(), *split_identifier(name), *FIELD_LABELS}


def _jwt_key(rel: str, call: ast.Call, literals: dict[str, int]) -> list[Finding]:
    name = dotted(call.func)
    if not re.search(r"(^|\.)jwt\.(encode|decode)$", name):
        return []
    key = (
        call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "key"), None)
    )
    if key is None:
        return []
    if _is_str(key) or (isinstance(key, ast.Name) and key.id in literals):
        return [
            Finding(
                file=rel,
                line=call.lineno,
                rule_id="hardcoded-jwt-secret",
                severity="high",
                message=f"{name}() is given a key written in the source.",
                fix_hint="Load the signing key from the environment (os.environ['JWT_SECRET']) or a "
                "secret store, and fail at start-up when it is missing.",
            )
        ]
    return []


def _secret_assignment(rel: str, node: ast.Assign | ast.AnnAssign) -> list[Finding]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    value = node.value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return []
    out = []
    for t in targets:
        name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
        if name and SECRET_NAME.search(name) and _plausible_secret(value.value, name):
            out.append(_hardcoded(rel, node.lineno, name))
    return out


def _secret_kwargs(rel: str, call: ast.Call) -> list[Finding]:
    out = []
    for kw in call.keywords:
        value = kw.value.value if isinstance(kw.value, ast.Constant) else None
        if (
            kw.arg
            and SECRET_NAME.search(kw.arg)
            and isinstance(value, str)
            and _plausible_secret(value, kw.arg)
        ):
            out.append(_hardcoded(rel, kw.value.lineno, kw.arg))
    return out


def _hardcoded(rel: str, line: int, name: str) -> Finding:
    return Finding(
        file=rel,
        line=line,
        rule_id="hardcoded-secret",
        severity="high",
        message=f"`{name}` is set to a literal value in the source.",
        fix_hint=f"Read {name} from the environment or a secret store; never commit the real value.",
    )


def _env_fallback(rel: str, call: ast.Call) -> list[Finding]:
    name = dotted(call.func)
    if name not in {"os.getenv", "os.environ.get", "getenv", "environ.get"} or len(call.args) < 2:
        return []
    env, default = call.args[0], call.args[1]
    env_name = str(env.value) if isinstance(env, ast.Constant) else ""
    fallback = default.value if isinstance(default, ast.Constant) else None
    if not (env_name and SECRET_NAME.search(env_name) and isinstance(fallback, str)):
        return []
    if not fallback.strip():
        return []
    return [
        Finding(
            file=rel,
            line=call.lineno,
            rule_id="secret-fallback",
            severity="medium",
            message="A secret read from the environment falls back to a literal default.",
            fix_hint="Drop the default so a missing secret stops the app rather than use a known one.",
        )
    ]


# --- logging ---------------------------------------------------------------------------------------


def _is_log_call(call: ast.Call) -> bool:
    name = dotted(call.func)
    if name == "print":
        return True
    parts = name.rsplit(".", 1)
    return len(parts) == 2 and parts[1] in _LOG_METHODS and bool(_LOGGER_NAME.search(parts[0]))


def _logged_secrets(rel: str, call: ast.Call) -> list[Finding]:
    if not _is_log_call(call):
        return []
    worst: Severity | None = None
    what = ""
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        for node in _unmasked(arg):
            name = _value_name(node)
            level = sensitive_level(name) if name else None
            if level and (worst is None or level == "high"):
                worst, what = level, name
    if worst is None:
        return []
    return [
        Finding(
            file=rel,
            line=call.lineno,
            rule_id="sensitive-data-in-log",
            severity=worst,
            message=f"`{what}` is written to a log or printed.",
            fix_hint="Log an identifier or a redacted form instead (user id, the last 4 characters, a hash).",
        )
    ]


def _unmasked(node: ast.AST) -> list[ast.AST]:
    """Nodes under `node`, leaving out what is passed through a masking call (mask(), len(), hash())."""
    out: list[ast.AST] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.Call) and _MASKING.search(dotted(cur.func)):
            continue
        out.append(cur)
        stack.extend(ast.iter_child_nodes(cur))
    return out


def _value_name(node: ast.AST) -> str:
    """The name of a value read at run time: a variable, an attribute or a constant subscript key."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and _is_str(node.slice):
        return str(getattr(node.slice, "value", ""))
    return ""
