"""How both languages judge a name and a literal: is this a secret's name, is this value a real secret
or a label, is this variable sensitive enough to keep out of logs. Judged by the words of the name,
so `jwtSecret`, `JWT_SECRET` and `jwt-secret` read the same."""

from __future__ import annotations

import re

from shopfloor.config.sections import Severity

FIELD_LABELS = {
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "secret_key", "new_password",
    "confirm_password", "current_password", "old_password", "password_confirmation",
}  # fmt: skip
# Stand-ins nobody would deploy as a credential: a test database's password, an example's key.
_PLACEHOLDERS = {"test", "testing", "dummy", "fake", "example", "sample", "placeholder", "changeme", "xxx"}
_SECRET_LAST = {"secret", "password", "passwd", "pwd", "passphrase", "apikey", "pass"}
_KEY_QUALIFIERS = {
    "secret", "signing", "private", "session", "encryption", "jwt", "hmac", "master", "app", "access",
    "cookie", "crypt", "cipher", "aes", "sign", "token", "auth", "client",
}  # fmt: skip
_TOKEN_QUALIFIERS = {
    "access",
    "auth",
    "api",
    "bot",
    "bearer",
    "github",
    "slack",
    "refresh",
    "admin",
    "master",
}
_BENIGN_LAST = {
    "type", "types", "count", "len", "length", "url", "uri", "name", "names", "id", "ids", "expires",
    "expiry", "exp", "endpoint", "header", "field", "policy", "min", "max", "reset", "hint", "required",
    "changed", "strength", "valid", "prefix", "scheme", "kind", "ttl", "age", "at", "file", "path",
    "env", "var", "key_name", "label", "placeholder", "regex", "pattern", "error", "message", "msg",
    "mode", "format", "algorithm", "algorithms", "alg", "size", "route", "page", "form", "input",
    "template", "view", "enabled", "attempts", "lifetime", "timeout", "rounds", "salt_rounds",
    "version", "location", "dir", "folder", "option", "options", "param", "column", "table", "query",
}  # fmt: skip
_SENSITIVE_PART = {"password", "passwd", "pwd", "secret", "token", "apikey", "authorization", "credentials"}
_HIGH_PART = {"password", "passwd", "pwd", "secret", "token", "apikey"}


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


def secret_name(name: str) -> bool:
    """A variable, key or argument that holds a secret: `SECRET_KEY`, `cookieSecret`, `db_password`,
    `SESSION_KEY`, `api_key`, `access_token`; not `PASSWORD_FIELD`, `token_type` or `SECRET_KEY_FILE`."""
    parts = split_identifier(name)
    if not parts or parts[-1] in _BENIGN_LAST:
        return False
    last = parts[-1]
    before = set(parts[:-1])
    if last in _SECRET_LAST:
        return True
    if last == "key" and (before & _KEY_QUALIFIERS):
        return True
    return last == "token" and bool(before & _TOKEN_QUALIFIERS)


def plausible_secret(value: str, name: str) -> bool:
    """A literal that is a real value, not a placeholder, a label or a sentence."""
    v = value.strip()
    if len(v) < 3 or len(set(v)) <= 2 or v.count(" ") >= 2 or v.lower() in _PLACEHOLDERS:
        return False
    if v.startswith(("$", "{", "<", "%")) or "{{" in v or "${" in v or "%(" in v:
        return False
    words = split_identifier(v)
    own = set(split_identifier(name))
    own |= {"api", "key"} if "apikey" in own else set()
    if not words or v.lower().replace("-", "_") in FIELD_LABELS:
        return not words and len(v) >= 8  # punctuation only: a mask, unless long
    return not set(words) <= own | FIELD_LABELS


def sensitive_level(name: str) -> Severity | None:
    """How sensitive a variable or field name is, judged by its words; None when it is not."""
    parts = split_identifier(name)
    if not parts or parts[-1] in _BENIGN_LAST or not _SENSITIVE_PART.intersection(parts):
        return None
    if "hashed" in parts or "hash" in parts:
        return "medium"
    return "high" if _HIGH_PART.intersection(parts) else "medium"
