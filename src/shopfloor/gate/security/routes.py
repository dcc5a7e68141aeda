"""The route model both languages fill in: every endpoint with its path, methods, handler and the chain
of middleware, dependencies and decorators from the app down to it, and what its handler does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class RecordAccess:
    """A record loaded or changed by an id taken from the request."""

    line: int
    id_name: str
    write: bool
    """Changed or deleted, not only read."""
    owner_checked: bool
    """The query names the caller, or an owner or role check covers this access on every path."""
    sensitive: bool = False
    """A user's, account's or profile's record."""
    from_body: bool = False
    """The id came in the body or query string rather than the path."""


@dataclass
class HandlerFacts:
    """What a handler's own body shows."""

    authenticates: bool = False
    """It looks the caller up itself (session, token, `request.user.is_authenticated`) and refuses."""
    checks_role: bool = False
    """It checks an admin role or a permission."""
    credentials_line: int | None = None
    """It reads a password from the request (a login, a sign-up, a password change)."""
    raw_body_line: int | None = None
    """It reads the request body without a schema."""
    records: list[RecordAccess] = field(default_factory=list)


@dataclass
class Route:
    file: str
    """Where the route is declared (decorator, urls.py entry, app.get call)."""
    line: int
    end_line: int | None
    path: str
    methods: frozenset[str]
    """Upper-case HTTP methods; `*` for any."""
    framework: str
    handler: str
    """`file:qualified name` of the handler, or a description when there is no body to read."""
    chain: list[str] = field(default_factory=list)
    """Guards from the app down to the handler, by name (`Depends(get_current_user)`, `isLoggedIn`)."""
    facts: HandlerFacts = field(default_factory=HandlerFacts)
    handler_line: int | None = None
    handler_end: int | None = None

    @property
    def label(self) -> str:
        methods = "/".join(sorted(self.methods)) if "*" not in self.methods else "ANY"
        return f"{methods} {self.path}"

    @property
    def writes(self) -> bool:
        return bool(self.methods & {"POST", "PUT", "PATCH", "DELETE", "*"})


@dataclass
class ProjectFacts:
    """Gathered from every file before any changed file is judged."""

    global_auth: bool = False
    """An app-wide middleware or default authenticates every request."""
    global_admin: bool = False
    limiter: bool = False
    """A rate limiter is in use anywhere: a library, a decorator, middleware or the reverse proxy."""
    validators: bool = False
    """A schema library is in use (marshmallow, pydantic, zod, joi...)."""
    hashes_passwords: bool = False
    """Some code hashes passwords with a password hash (bcrypt, argon2, make_password...), so a
    password stored as it came may still be hashed by a model hook this pass cannot see."""
    routes: list[Route] = field(default_factory=list)


_OPTIONAL = re.compile(r"optional|allowany|anonymous|noauth|skipauth|public|notauth|unauth|guest|notlogged")
_AUTH = re.compile(
    r"auth|loggedin|loginrequired|requireslogin|requirelogin|jwt|currentuser|verifytoken|checktoken|"
    r"tokenrequired|requireuser|ensureuser|protect|guard|signedin|principal|bearer|ismember|"
    r"isadmin|adminrequired|requireadmin|superuser|staffmember|permissionrequired|rolesrequired|"
    r"userpassestest|accessrequired|sessionrequired|apikey|needslogin|mustbeloggedin"
)
_ADMIN = re.compile(
    r"admin|superuser|staff|role|permissionrequired|hasperm|haspermission|rbac|privilege|canmanage|"
    r"moderator|userpassestest|authoriz|rolesrequired|djangomodelpermissions|permissionsrequired"
)
_LIMIT = re.compile(r"limit|throttl|slowdown|brute|ratelimit")
_VALIDATE = re.compile(r"valid|schema|celebrate|sanitiz|checkbody|checkschema|serializer")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def is_auth(guard: str) -> bool:
    g = _norm(guard)
    return bool(_AUTH.search(g)) and not _OPTIONAL.search(g)


_CALLED = re.compile(r"^([\w.$]+)\((.+)\)(\[.*\])?$")
_STRATEGIES = {"jwt", "local", "bearer", "basic", "session", "google", "github", "facebook", "oauth2", "saml"}


def is_admin(guard: str) -> bool:
    """A role or permission check: by name (`requireAdmin`), or an auth guard given the rights a route
    needs (`auth('manageUsers')`, `authorize('editor')`), not just a strategy (`authenticate('jwt')`)."""
    if _ADMIN.search(_norm(guard)):
        return True
    called = _CALLED.match(guard)
    if called is None or not is_auth(called.group(1)):
        return False
    words = {w.strip().lower() for w in called.group(2).split(",")}
    return bool(words - _STRATEGIES - {""})


def is_limit(guard: str) -> bool:
    return bool(_LIMIT.search(_norm(guard)))


def is_validation(guard: str) -> bool:
    return bool(_VALIDATE.search(_norm(guard)))


PUBLIC_PATH = re.compile(
    r"health|livez|readyz|ready\b|ping|status|version|login|logout|signin|sign-in|sign_in|signup|sign-up|"
    r"sign_up|register|token|refresh|docs|openapi|redoc|swagger|public|callback|oauth|forgot|reset|"
    r"verify|confirm|activate|webhook|metrics|static|favicon|robots|about|contact|home|index|welcome|"
    r"password-recovery|recover|captcha|csrf|graphiql|playground|terms|privacy|faq|help",
    re.IGNORECASE,
)
ADMIN_PATH = re.compile(r"(^|[/:._-])(admin|internal|debug|manage|management|superuser|staff|sudo)", re.I)


def is_public(route: Route) -> bool:
    bare = route.path.strip("/")
    return bare in {"", "*"} or bool(PUBLIC_PATH.search(route.path))


def is_admin_route(route: Route) -> bool:
    handler_name = route.handler.rpartition(":")[2].rpartition(".")[2]
    return bool(ADMIN_PATH.search(route.path)) or handler_name.lower().startswith("admin")


_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}|<(?:\w+:)?(\w+)>|:(\w+)|\(\?P<(\w+)>")


def path_parameters(path: str) -> set[str]:
    """Names a route's path fills in: `{item_id}`, `<int:pk>`, `:userId`, `(?P<pk>...)`."""
    return {next(g for g in groups if g) for groups in _PATH_PARAM.findall(path)}


PASSWORD_HASHERS = re.compile(
    r"bcrypt\w*\.(hash|hashSync|hashpw|gensalt|genSalt)|argon2\w*\.hash|hashpw|make_password|"
    r"generate_password_hash|set_password|pbkdf2|scrypt|CryptContext|PasswordHasher|hash_password|"
    r"(pwd|password)_?(context|ctx|hasher)\.hash$",
    re.IGNORECASE,
)
"""Calls that hash a password properly."""
