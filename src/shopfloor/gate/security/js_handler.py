"""What a JavaScript handler's body shows: a login check of its own, a role check, credentials read from
the request, the body read without a schema, and records loaded or changed by an id from the request
with whether an owner or role check covers each on every path."""

from __future__ import annotations

import re

from shopfloor.gate.security.js_ast import (
    FUNCTIONS,
    JNode,
    arguments,
    callee,
    dotted,
    method_name,
    param_names,
)
from shopfloor.gate.security.js_routes import JsHandler, body_checks
from shopfloor.gate.security.routes import HandlerFacts, RecordAccess

_ID = re.compile(r"(^|_)(id|pk|uid|uuid|ids)$|[a-z]Id$|^_id$", re.IGNORECASE)
_USERISH = re.compile(r"user|account|profile|customer|member|person|employee|patient", re.I)
_PASSWORD = re.compile(r"^(password|passwd|pwd|pass|passphrase|currentPassword|oldPassword)$", re.I)
_LOADER = re.compile(
    r"^(find\w*|get\w*|fetch\w*|load\w*|query|execute|update\w*|delete\w*|destroy|remove\w*|"
    r"select|where|save|upsert|modify\w*|set\w*|edit\w*|read\w*|retrieve\w*|run|all)$"
)
_WRITE = re.compile(r"update|delete|destroy|remove|save|upsert|modify|set|edit|insert|replace", re.I)
_SQL_WRITE = re.compile(r"^\s*(update|delete|insert|replace)\b", re.I)
CURRENT_USER = re.compile(
    r"req(uest)?\.(user|session\.(user|userId|user_id|uid|username)|payload|auth)|res\.locals\.user|"
    r"ctx\.state\.user|currentUser|req\.session\.\w*[iI]d\b"
)
_ROLE = re.compile(r"isAdmin|is_admin|\.role\b|roles|admin|permission|superuser|isStaff", re.I)
_PERMISSION_CALL = re.compile(
    r"\bcan\b|authorize|checkOwner|isOwner|ensureOwner|assertOwner|ability|hasPermission"
)
_AUTH_TEST = re.compile(
    r"req(uest)?\.(session|user|isAuthenticated|auth|payload)|res\.locals\.user|ctx\.state\.user"
)
_COMPARE = {"===", "!==", "==", "!="}


def js_handler_facts(h: JsHandler, validators: bool) -> HandlerFacts:
    func = h.func
    if func is None:
        return HandlerFacts()
    authed, role = body_checks(func)
    # A handler that compares the caller's role is role-aware, even when it renders rather than refuses.
    role = role or any(
        n.kind == "binary_expression"
        and n.op in _COMPARE
        and CURRENT_USER.search(n.text)
        and _ROLE.search(n.text)
        for n in func.walk()
    )
    facts = HandlerFacts(authenticates=authed, checks_role=role)
    facts.credentials_line = _credentials(func)
    if not validators and h.route.writes and not any("schema" in g for g in h.route.chain):
        facts.raw_body_line = next(
            (
                n.line
                for n in func.walk()
                if n.kind == "member_expression" and re.fullmatch(r"(req|request)\.body", n.text)
            ),
            None,
        )
    facts.records = _records(func)
    return facts


def _credentials(func: JNode) -> int | None:
    """The line a password from the request body is read on (directly, destructured or parsed first)."""
    if not re.search(r"(req|request|ctx)(\.request)?\.body", func.text):
        return None
    for node in func.walk():
        if node.kind in {"property_identifier", "shorthand_property_identifier_pattern"} and _PASSWORD.match(
            node.text
        ):
            return node.line
    return None


def _id_names(func: JNode) -> dict[str, tuple[str, bool]]:
    """Local names holding an id from the request -> (its field, from the body/query rather than path)."""
    ids: dict[str, tuple[str, bool]] = {}
    for node in func.walk():
        if node.kind != "variable_declarator":
            continue
        name, value = node.get("name"), node.get("value")
        if name is None or value is None:
            continue
        source = re.search(r"(req|request|ctx)(\.request)?\.(params|body|query)(\.(\w+))?", value.text)
        if source is None:
            continue
        from_body = source.group(3) != "params"
        if name.kind == "identifier":
            key = source.group(5) or name.text
            if _ID.search(key):
                ids[name.text] = (key, from_body)
        elif name.kind == "object_pattern":
            for part in name.children:
                local = part.get("value") if part.kind == "pair_pattern" else part
                key = part.get("key") if part.kind == "pair_pattern" else part
                if local is not None and key is not None and _ID.search(key.text):
                    ids[local.text] = (key.text, from_body)
    return ids


def _records(func: JNode) -> list[RecordAccess]:
    ids = _id_names(func)
    checks = [n for n in func.walk() if _is_check(n)]
    out = []
    for node in func.walk():
        if node.kind != "call_expression":
            continue
        name = method_name(node)
        if not _LOADER.match(name):
            continue
        args_text = " ".join(a.text for a in arguments(node))
        direct = re.search(r"(req|request)\.(params|body|query)\.(\w+)", args_text)
        used = [i for i in ids if re.search(rf"\b{re.escape(i)}\b", args_text)]
        if direct and _ID.search(direct.group(3)):
            id_name, from_body = direct.group(3), direct.group(2) != "params"
        elif used:
            id_name, from_body = ids[used[0]]
        else:
            continue
        strings = [n.text for n in node.walk() if n.kind == "string_fragment"]
        write = (
            bool(_WRITE.search(name))
            or any(_SQL_WRITE.match(s) for s in strings)
            or _changed_later(func, node)
        )
        in_query = bool(CURRENT_USER.search(args_text))
        out.append(
            RecordAccess(
                line=node.line,
                id_name=id_name,
                write=write,
                owner_checked=in_query or any(_covers(c, node) for c in checks),
                sensitive=bool(_USERISH.search(id_name) or _USERISH.search(node.text)),
                from_body=from_body,
            )
        )
    return out


def _is_check(node: JNode) -> bool:
    if node.kind == "call_expression" and _PERMISSION_CALL.search(callee(node)):
        return True
    if node.kind == "binary_expression" and node.op in _COMPARE:
        return bool(CURRENT_USER.search(node.text) or _ROLE.search(node.text))
    return False


def _changed_later(func: JNode, call: JNode) -> bool:
    """`const x = await load(id)` or `load(id).then(x => ...)`, then `x.save()`, `x.field = ...`."""
    var, scope = _bound_record(func, call)
    if not var:
        return False
    for node in scope.walk():
        if node.start <= call.end:
            continue
        if (
            node.kind == "call_expression"
            and callee(node).startswith(var + ".")
            and _WRITE.search(callee(node))
        ):
            return True
        if node.kind == "assignment_expression" and dotted(node.get("left")).startswith(var + "."):
            return True
    return False


def _bound_record(func: JNode, call: JNode) -> tuple[str, JNode]:
    """The name the loaded record is bound to, and where to look for its uses."""
    up = call.parent
    while up is not None and up.kind in {"await_expression", "parenthesized_expression"}:
        up = up.parent
    if up is not None and up.kind == "variable_declarator":
        name = up.get("name")
        return (name.text if name is not None and name.kind == "identifier" else ""), func
    if up is not None and up.kind == "member_expression" and up.parent is not None:
        prop = up.get("property")
        then = up.parent
        if prop is not None and prop.text == "then" and then.kind == "call_expression":
            callback = next(iter(arguments(then)), None)
            if callback is not None and callback.kind in FUNCTIONS:
                names = param_names(callback)
                return (names[0] if names else ""), callback
    return "", func


def _covers(check: JNode, access: JNode) -> bool:
    """Does `check` run on every path to `access`? Not when it sits in another branch of an `if`."""
    up_check = [check, *check.ancestors()]
    up_access = [access, *access.ancestors()]
    common = next((n for n in up_access if any(n is c for c in up_check)), None)
    if common is None:
        return False
    child_c = _child_towards(up_check, common)
    child_a = _child_towards(up_access, common)
    if child_c is None or child_a is None:
        return True
    if common.kind == "if_statement":
        return child_c is common.get("condition")
    if child_c.start > child_a.start:
        # A check after the access's statement runs only if that statement does not return first.
        return not any(n.kind in {"return_statement", "throw_statement"} for n in child_a.walk())
    return True


def _child_towards(chain: list[JNode], ancestor: JNode) -> JNode | None:
    for i, n in enumerate(chain):
        if n is ancestor:
            return chain[i - 1] if i > 0 else None
    return None
