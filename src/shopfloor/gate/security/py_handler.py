"""What a Python handler's body shows: credentials read from the request, a body read without a schema,
and records loaded or changed by an id from the request, with whether an owner or role check covers
each of them on every path through the handler (a check in the other branch of an `if` does not)."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.security.py_guards import body_checks_auth, guard_names
from shopfloor.gate.security.py_modules import Func, Module, Project, dotted
from shopfloor.gate.security.py_routes import PyHandler
from shopfloor.gate.security.routes import HandlerFacts, RecordAccess, is_auth

ID_NAME = re.compile(r"(^|_)(id|pk|uid|uuid|ids)$|[a-z]Id$|^id_", re.IGNORECASE)
USERISH = re.compile(r"user|account|profile|customer|member|\buid\b|person|employee|patient", re.I)
PASSWORD = re.compile(
    r"^(password|passwd|pwd|pass|passphrase|password1|current_password|old_password)$", re.I
)
_LOADER = re.compile(
    r"^(get|get_object_or_404|filter|filter_by|find|find_one|find_by_id|fetch\w*|load\w*|select|where|"
    r"query|execute|delete\w*|update\w*|remove\w*|destroy|get_by_\w+|by_id|read\w*|retrieve\w*|"
    r"get_\w+|set_\w+|save\w*|modify\w*|change\w*|edit\w*)$"
)
_WRITE = re.compile(r"delete|update|remove|destroy|set_|save|modify|change|edit|insert|replace|patch|put")
_SQL_WRITE = re.compile(r"^\s*(update|delete|insert|replace)\b", re.I)
CURRENT_USER = re.compile(
    r"request\.user|current_user|\bg\.user\b|\bsession\s*\[\s*['\"]\w*user|"
    r"\bsession\.get\(\s*['\"]\w*user|get_jwt_identity|"
    r"info\.context\.user|authorized_userid|get_current_user|request\.auth\b|identity\b",
    re.IGNORECASE,
)
_PERMISSION_CALL = re.compile(
    r"check_object_permissions|has_object_permission|has_perm|has_permission|check_owner|assert_owner|"
    r"ensure_owner|is_owner|authorize|user_can|can_\w+|permission_required|check_access|owns"
)
_RAW_BODY = {"json", "form", "data", "get_json", "POST", "body", "values"}
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def handler_facts(h: PyHandler, validators: bool, project: Project) -> HandlerFacts:
    func = h.func
    if func is None:
        return HandlerFacts()
    authed, role = body_checks_auth(func, h.module.text)
    facts = HandlerFacts(authenticates=authed, checks_role=role)
    facts.credentials_line = _credentials(func, h)
    if not validators:
        facts.raw_body_line = _raw_body(func, h)
    facts.records = _records(func, h, project)
    return facts


def _credentials(func: Func, h: PyHandler) -> int | None:
    for p in func.args.args + func.args.kwonlyargs:
        ann = ast.unparse(p.annotation) if p.annotation is not None else ""
        if re.search(r"PasswordRequestForm|Login|Credentials|SignIn|Auth\w*(Request|Form|In)\b", ann):
            return p.lineno
    for p in func.args.args + func.args.kwonlyargs:
        if p.arg in h.request_params and PASSWORD.match(p.arg):
            return p.lineno  # a resolver's or handler's own `password` argument
    for node in ast.walk(func):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            key = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        elif isinstance(node, ast.Attribute) and dotted(node.value) in h.request_params:
            key = node.attr
        if isinstance(key, str) and PASSWORD.match(key) and _from_request(node, h):
            return int(getattr(node, "lineno", func.lineno))
    return None


def _from_request(node: ast.AST, h: PyHandler) -> bool:
    if isinstance(node, ast.Call):
        text = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else ""
    elif isinstance(node, ast.Subscript):
        text = dotted(node.value) or ast.unparse(node.value)
    else:
        text = dotted(node)
    return bool(
        re.search(r"request|req\b|form|data|body|json|payload|credentials|args|kwargs|input", text)
        or text.split(".")[0] in h.request_params
    )


def _raw_body(func: Func, h: PyHandler) -> int | None:
    for p in func.args.args + func.args.kwonlyargs:
        ann = ast.unparse(p.annotation) if p.annotation is not None else ""
        if re.fullmatch(r"(typing\.)?(dict|Dict|Any)(\[.*\])?", ann):
            return p.lineno
    for node in ast.walk(func):
        target = node.func if isinstance(node, ast.Call) else node
        if isinstance(target, ast.Attribute) and target.attr in _RAW_BODY:
            owner = dotted(target.value)
            if owner in h.request_names and h.route.writes:
                return int(target.lineno)
    return None


# --- records reached by an id from the request ----------------------------------------------------------


def _records(func: Func, h: PyHandler, project: Project) -> list[RecordAccess]:
    mod = h.module
    ids = _id_names(func, h)
    users = _current_user_names(func)
    checks: list[ast.AST] | None = None  # found when the first access by a request id needs them
    out = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func).rpartition(".")[2]
        if not _LOADER.match(name):
            continue
        used = [i for i in _names_in(node) if i in ids]
        inline = _request_key(node, h)  # load(request.form["id"]) with no local name in between
        if used:
            id_name, from_body = ids[used[0]]
        elif inline and ID_NAME.search(inline):
            id_name, from_body = inline, True
        else:
            continue
        text = ast.get_source_segment(mod.text, node) or ""
        in_query = bool(CURRENT_USER.search(text)) or any(u in _names_in(node) for u in users)
        strings = [
            n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        write = bool(_WRITE.search(name.lower())) or any(_SQL_WRITE.match(v) for v in strings)
        if checks is None:
            checks = [
                n
                for n in ast.walk(func)
                if _is_check(n, users, mod.text) or _checking_helper(n, mod, project)
            ]
        out.append(
            RecordAccess(
                line=node.lineno,
                id_name=id_name,
                write=write or _changed_later(func, node, mod),
                owner_checked=in_query or any(_covers(mod, c, node) for c in checks),
                sensitive=bool(USERISH.search(id_name) or USERISH.search(text)),
                from_body=from_body,
            )
        )
    return out


def _id_names(func: Func, h: PyHandler) -> dict[str, tuple[str, bool]]:
    """Local names holding an id taken from the request -> (the request field, sent in the body or
    query rather than the path)."""
    ids = {p: (p, False) for p in h.request_params | h.path_params if ID_NAME.search(p)}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            key = _request_key(node.value, h)
            if key and ID_NAME.search(key):
                ids[node.targets[0].id] = (key, "match_info" not in ast.unparse(node.value))
    return ids


def _request_key(node: ast.AST, h: PyHandler) -> str | None:
    """'id' for request.args.get('id'), request.form['id'], request.match_info['id'], int(...) of those."""
    for sub in ast.walk(node):
        key = None
        if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            key, base = sub.slice.value, sub.value
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "get":
            key = sub.args[0].value if sub.args and isinstance(sub.args[0], ast.Constant) else None
            base = sub.func.value
        else:
            continue
        root = dotted(base).split(".")[0]
        if isinstance(key, str) and (root in h.request_names or root in {"self", "data", "body", "payload"}):
            return key
    return None


def _current_user_names(func: Func) -> set[str]:
    """Parameters a dependency fills with the caller (`current_user: CurrentUser`, `user=Depends(...)`)."""
    out = set()
    a = func.args
    defaults = dict(zip([p.arg for p in a.args][len(a.args) - len(a.defaults) :], a.defaults, strict=True))
    for p in a.args + a.kwonlyargs:
        deps = guard_names(p.annotation) if p.annotation is not None else []
        if p.arg in defaults:
            deps += guard_names(defaults[p.arg])
        ann = ast.unparse(p.annotation) if p.annotation is not None else ""
        if any(is_auth(d) for d in deps) or re.search(r"CurrentUser|AuthUser|Principal|SessionUser", ann):
            out.add(p.arg)
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.AST):
            text = ast.unparse(node.value)
            if CURRENT_USER.search(text) and not re.search(r"\[['\"]?\w*(?<!user)_?id", text):
                out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out


def _names_in(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _is_check(node: ast.AST, users: set[str], source: str) -> bool:
    if isinstance(node, ast.Call) and _PERMISSION_CALL.search(dotted(node.func)):
        return True
    if not isinstance(node, ast.Compare):
        return False
    text = ast.get_source_segment(source, node) or ""
    return (
        bool(CURRENT_USER.search(text))
        or any(u in _names_in(node) for u in users)
        or bool(re.search(r"is_superuser|is_admin|is_staff|role", text))
    )


def _checking_helper(node: ast.AST, mod: Module, project: Project) -> bool:
    """A call to one of the project's functions that itself compares the record with the caller
    (`get_post(id)` that aborts with 403 when the author is someone else)."""
    if not isinstance(node, ast.Call):
        return False
    found = project.lookup(mod, dotted(node.func)) if dotted(node.func) else None
    if found is None or found[1] not in found[0].functions:
        return False
    helper = found[0].functions[found[1]]
    text = found[0].text
    users = _current_user_names(helper)
    return any(_is_check(n, users, text) for n in ast.walk(helper))


def _changed_later(func: Func, call: ast.Call, mod: Module) -> bool:
    """`x = load(id)` followed by `x.field = ...`, `x.save()`, `x.delete()` or `session.delete(x)`."""
    parent = mod.parent(call)
    if not (isinstance(parent, ast.Assign) and isinstance(parent.targets[0], ast.Name)):
        return False
    var = parent.targets[0].id
    for node in ast.walk(func):
        if getattr(node, "lineno", 0) <= call.lineno:
            continue
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and dotted(t.value) == var for t in node.targets
        ):
            return True
        if isinstance(node, ast.Call):
            callee = dotted(node.func)
            if callee.startswith(var + ".") and _WRITE.search(callee.rpartition(".")[2]):
                return True
            if _WRITE.search(callee.rpartition(".")[2]) and var in _names_in(node):
                return True
    return False


def _covers(mod: Module, check: ast.AST, access: ast.AST) -> bool:
    """Does `check` run on every path that reaches `access`? Siblings in one block do; a check inside
    another branch of the `if` that holds the access does not."""
    up_check = _ancestry(mod, check)
    up_access = _ancestry(mod, access)
    common = next((n for n in up_access if any(n is c for c in up_check)), None)
    if common is None:
        return False
    child_c = _child_towards(up_check, common)
    child_a = _child_towards(up_access, common)
    if child_c is None or child_a is None:
        return True  # one holds the other: the check is part of the access itself
    list_c, list_a = _field_of(common, child_c), _field_of(common, child_a)
    if list_c == "test":
        return True
    if list_c == list_a:
        # Siblings: a check before the access runs first; one after it runs only if the access's own
        # statement does not return (or raise) before getting there.
        before = getattr(child_c, "lineno", 0) <= getattr(child_a, "lineno", 0)
        return before or not any(isinstance(n, ast.Return | ast.Raise) for n in ast.walk(child_a))
    return list_c not in _STATEMENT_LISTS or list_a not in _STATEMENT_LISTS


def _ancestry(mod: Module, node: ast.AST) -> list[ast.AST]:
    out = [node]
    while (parent := mod.parent(out[-1])) is not None:
        out.append(parent)
    return out


def _child_towards(chain: list[ast.AST], ancestor: ast.AST) -> ast.AST | None:
    for i, n in enumerate(chain):
        if n is ancestor:
            return chain[i - 1] if i > 0 else None
    return None


def _field_of(parent: ast.AST, child: ast.AST) -> str:
    for name, value in ast.iter_fields(parent):
        if value is child or (isinstance(value, list) and any(v is child for v in value)):
            return name
    return ""
