"""Python rules that read the shape of the code rather than its data flow: secrets written in the
source, secrets in logs, JWTs accepted unverified, passwords hashed with a fast hash, XML parsers that
resolve external entities, CSRF protection switched off."""

from __future__ import annotations

import ast
import re

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.names import plausible_secret, secret_name, sensitive_level
from shopfloor.gate.security.py_modules import Module, dotted, keyword, str_value
from shopfloor.gate.security.rules import make

_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
_MASKING = re.compile(r"mask|redact|hash|censor|obfuscat|^len$|^bool$|^type$|digest", re.IGNORECASE)
_LOGGER_NAME = re.compile(r"(^|\.)(log|logger|logging|_log|_logger|LOGGER|LOG)$")
_WEB = {"flask", "django", "fastapi", "starlette", "aiohttp", "quart", "sanic", "rest_framework", "tornado"}
_OVERRIDES = re.compile(r"from_pyfile|from_envvar|from_prefixed_env|from_object|from_file|load_dotenv")
_FAST_HASH = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "new"}
_PASSWORDISH = re.compile(r"pass(word|wd)?|pwd", re.IGNORECASE)


def check_module(mod: Module) -> list[Finding]:
    """The shape rules for one module."""
    out: list[Finding] = []
    web = bool({v.split(".")[0] for v in mod.imports.values()} & _WEB)
    literals = {
        t.id
        for n in mod.tree.body
        if isinstance(n, ast.Assign) and str_value(n.value)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for node in mod.nodes:
        if isinstance(node, ast.Call):
            name = mod.canonical(dotted(node.func))
            out += _jwt(mod.rel, node, name, literals)
            out += _secret_kwargs(mod, node)
            out += _env_fallback(mod.rel, node, name)
            out += _logged(mod.rel, node, name, web)
            out += _fast_password_hash(mod.rel, node, name)
            out += _xxe(mod.rel, node, name)
            out += _autoescape_off(mod.rel, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            out += _secret_assignment(mod, node)
        elif isinstance(node, ast.Dict):
            out += _secret_dict(mod, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out += _csrf_exempt(mod.rel, node)
    return out


# --- secrets -------------------------------------------------------------------------------------------


def _secret(mod: Module, node: ast.AST, name: str, value: ast.AST | None) -> list[Finding]:
    text = str_value(value)
    if text is None or not secret_name(name) or not plausible_secret(text, name):
        return []
    line = int(getattr(value, "lineno", getattr(node, "lineno", 1)))
    if _overridden(mod, node, name):
        return [
            make(
                "secret-fallback",
                mod.rel,
                line,
                "medium",
                f"`{name}` has a literal default that configuration loaded later replaces.",
            )
        ]
    return [
        make("hardcoded-secret", mod.rel, line, "high", f"`{name}` is set to a literal value in the source.")
    ]


def _overridden(mod: Module, node: ast.AST, name: str) -> bool:
    """A default the app replaces: pydantic settings fields; a config later loaded from a file or the
    environment in the same function (Flask's `from_mapping(SECRET_KEY='dev')` then `from_pyfile`); or
    the same setting assigned again from the environment (`SECRET_KEY = os.getenv(...)` for production)."""
    parent = mod.parent(node)
    while parent is not None and not isinstance(
        parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ):
        parent = mod.parent(parent)
    if isinstance(parent, ast.ClassDef):
        return any(re.search(r"Settings|Config", dotted(b)) for b in parent.bases)
    scope = parent if parent is not None else mod.tree
    line = getattr(node, "lineno", 0)
    for later in ast.walk(scope):
        if getattr(later, "lineno", 0) <= line:
            continue
        if isinstance(later, ast.Call) and _OVERRIDES.search(dotted(later.func)):
            return True
        if isinstance(later, ast.Assign) and str_value(later.value) is None:
            targets = [
                (str_value(t.slice) if isinstance(t, ast.Subscript) else dotted(t)) for t in later.targets
            ]
            if any(t and t.rpartition(".")[2] == name for t in targets):
                return True
    return False


def _secret_assignment(mod: Module, node: ast.Assign | ast.AnnAssign) -> list[Finding]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    out = []
    for t in targets:
        # app.config['SECRET_KEY'] = 'dev'; SECRET_KEY = ...; app.secret_key = ...
        name = (str_value(t.slice) or "") if isinstance(t, ast.Subscript) else dotted(t).rpartition(".")[2]
        out += _secret(mod, node, name, node.value)
    return out


def _secret_kwargs(mod: Module, call: ast.Call) -> list[Finding]:
    out = []
    for kw in call.keywords:
        if kw.arg:
            out += _secret(mod, call, kw.arg, kw.value)
    return out


def _secret_dict(mod: Module, node: ast.Dict) -> list[Finding]:
    out = []
    for k, v in zip(node.keys, node.values, strict=True):
        key = str_value(k)
        if key:
            out += _secret(mod, node, key, v)
    return out


def _env_fallback(rel: str, call: ast.Call, name: str) -> list[Finding]:
    if name not in {"os.getenv", "os.environ.get", "getenv", "environ.get"} or len(call.args) < 2:
        return []
    env, default = str_value(call.args[0]) or "", str_value(call.args[1])
    if not (env and secret_name(env) and default and default.strip()):
        return []
    message = f"{env} falls back to a literal default when it is not set."
    return [make("secret-fallback", rel, call.lineno, "medium", message)]


def _jwt(rel: str, call: ast.Call, name: str, literals: set[str]) -> list[Finding]:
    if not re.search(r"(^|\.)jwt\.(encode|decode)$", name):
        return []
    out = []
    key = call.args[1] if len(call.args) > 1 else keyword(call, "key")
    if str_value(key) is not None or (isinstance(key, ast.Name) and key.id in literals):
        out.append(
            make(
                "hardcoded-jwt-secret",
                rel,
                call.lineno,
                "high",
                f"{name}() is given a key written in the source.",
            )
        )
    if name.endswith("decode") and _verification_off(call):
        out.append(
            make(
                "jwt-verification-off",
                rel,
                call.lineno,
                "high",
                f"{name}() is told not to check the signature.",
            )
        )
    return out


def _verification_off(call: ast.Call) -> bool:
    text = ast.unparse(call)
    if re.search(r"['\"]verify_signature['\"]\s*:\s*False|verify\s*=\s*False", text):
        return True
    algorithms = keyword(call, "algorithms")
    return algorithms is not None and "none" in ast.unparse(algorithms).lower()


# --- logs ----------------------------------------------------------------------------------------------


def _logged(rel: str, call: ast.Call, name: str, web: bool) -> list[Finding]:
    parts = name.rsplit(".", 1)
    is_log = len(parts) == 2 and parts[1] in _LOG_METHODS and bool(_LOGGER_NAME.search(parts[0]))
    if not (is_log or (name == "print" and web)):  # a command-line tool's output is not a server log
        return []
    worst: Severity | None = None
    what = ""
    for value in [*call.args, *(k.value for k in call.keywords)]:
        for node in _unmasked(value):
            label = _value_name(node)
            level = sensitive_level(label) if label else None
            if level and (worst is None or level == "high"):
                worst, what = level, label
    if worst is None:
        return []
    return [
        make("sensitive-data-in-log", rel, call.lineno, worst, f"`{what}` is written to a log or printed.")
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
    if isinstance(node, ast.Subscript):
        return str_value(node.slice) or ""
    return ""


# --- hashing, XML, CSRF --------------------------------------------------------------------------------


def _fast_password_hash(rel: str, call: ast.Call, name: str) -> list[Finding]:
    head, _, last = name.rpartition(".")
    if not (head.endswith("hashlib") or head == "") or last not in _FAST_HASH or not call.args:
        return []
    if last == "new" or (not head and last not in {"md5", "sha1"}):
        return []
    names = [n for n in ast.walk(call.args[0]) if isinstance(n, ast.Name | ast.Attribute | ast.Subscript)]
    if not any(_PASSWORDISH.search(_value_name(n)) for n in names):
        return []
    message = f"A password is hashed with {last}, which is fast to brute-force."
    return [make("weak-password-hash", rel, call.lineno, "high", message)]


def _xxe(rel: str, call: ast.Call, name: str) -> list[Finding]:
    last = name.rpartition(".")[2]
    on = False
    if last == "setFeature" and len(call.args) == 2:
        feature = dotted(call.args[0]) + (str_value(call.args[0]) or "")
        flag = call.args[1]
        on = "external" in feature and isinstance(flag, ast.Constant) and flag.value in {True}
    elif last == "XMLParser":
        for k in call.keywords:
            if (k.arg == "resolve_entities" and _true(k.value)) or (
                k.arg == "no_network" and _false(k.value)
            ):
                on = True
    if not on:
        return []
    return [make("xxe", rel, call.lineno, "high", "The XML parser is set to resolve external entities.")]


def _autoescape_off(rel: str, call: ast.Call) -> list[Finding]:
    """`autoescape=False` given to a template engine: every value rendered into HTML is raw."""
    flag = keyword(call, "autoescape")
    if flag is None or not _false(flag):
        return []
    return [
        make("xss", rel, call.lineno, "high", "HTML templates are rendered with autoescaping turned off.")
    ]


def _true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _csrf_exempt(rel: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Finding]:
    for deco in func.decorator_list:
        if dotted(deco).rpartition(".")[2] == "csrf_exempt":
            message = f"{func.name} is exempt from CSRF protection."
            return [make("csrf-disabled", rel, deco.lineno, "medium", message)]
    return []
