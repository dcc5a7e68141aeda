"""Guards in Python web code: how a route's chain names them (`Depends(get_user)`,
`roles_required('admin')`), and whether a hook's or handler's own statements check the caller."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.security.py_modules import Func, dotted, str_value

AUTH_CHECK = re.compile(
    r"session|current_user|\bg\.user|request\.user|token|jwt|authoriz|authenticat|login|logged|"
    r"api_key|apikey|identity|credentials",
    re.IGNORECASE,
)
REFUSAL = re.compile(r"abort\(|redirect\(|401|403|Unauthorized|Forbidden|HTTPException|raise\b|login")
ADMIN_CHECK = re.compile(r"is_admin|isAdmin|is_superuser|is_staff|role|admin|has_perm|permission", re.I)


def guard_names(node: ast.AST) -> list[str]:
    """Names of the dependencies in an expression (`Depends(get_user)` -> `Depends(get_user)`)."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and dotted(sub.func).rpartition(".")[2] in {"Depends", "Security"}:
            target = sub.args[0] if sub.args else next((k.value for k in sub.keywords), None)
            out.append(f"Depends({dotted(target) or '?'})")
    return out


def deco_name(deco: ast.expr) -> str:
    """A decorator as a guard: its name with its literal arguments (`roles_required('admin')`)."""
    name = dotted(deco)
    if isinstance(deco, ast.Call):
        flat = [e for a in deco.args for e in (a.elts if isinstance(a, ast.List | ast.Tuple) else [a])]
        words = [str_value(x) or dotted(x) for x in flat]
        return f"{name}({', '.join(w for w in words if w)})"
    return name


def body_checks_auth(func: Func | None, source: str) -> tuple[bool, bool]:
    """(checks the caller, checks an admin role) judged from a hook's or handler's own statements."""
    if func is None:
        return False, False
    authed = role = False
    for node in ast.walk(func):
        if isinstance(node, ast.If | ast.Assert):
            test = ast.get_source_segment(source, node.test) or ""
            inside = ast.get_source_segment(source, node) or ""
            if AUTH_CHECK.search(test) and (isinstance(node, ast.Assert) or REFUSAL.search(inside)):
                authed = True
                role = role or bool(ADMIN_CHECK.search(test))
            elif ADMIN_CHECK.search(test) and REFUSAL.search(inside):
                role = True
        elif isinstance(node, ast.Call) and re.search(
            r"check_authorized|login_required|verify_jwt|jwt_required|authenticate_user|require_user|"
            r"get_current_user|verify_token|decode_token|authorized_userid|check_permission|has_permission",
            dotted(node.func),
        ):
            authed = True
            role = role or "permission" in dotted(node.func)
    return authed, role
