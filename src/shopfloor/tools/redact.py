"""Redaction: secrets taken out of everything shopfloor records or sends.

Two sources: the values of this process's environment variables that hold secrets (provider keys, tokens,
passwords, credentials in URLs), and text that looks like a credential whatever its origin (known token
formats, private keys, a password in a URL).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

_SECRET_NAME = re.compile(
    r"(^|_)[A-Z]*KEYS?($|_)|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|COOKIE|PRIVATE|"
    r"(^|_)O?AUTH($|_)|AUTHORIZATION|(^|_)(PAT|DSN|PWD)($|_)|DATABASE_URL|CONNECTION_STRING",
    re.IGNORECASE,
)
# Names that match the pattern above but never hold a secret.
_HARMLESS_NAMES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "GPG_AGENT_INFO"})
_HARMLESS_VALUES = frozenset({"true", "false", "none", "null", "yes", "no", "on", "off"})
MIN_SECRET_CHARS = 8
"""Shorter values are not redacted: they would match all over ordinary text."""

# Credentials recognisable by their shape, each with the literal text it cannot do without: a pattern
# runs only on text holding one of its literals, which keeps redaction cheap on ordinary output.
_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("private-key", ("PRIVATE KEY-----",),
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)"),
    ("anthropic-key", ("sk-ant-",), r"\bsk-ant-[A-Za-z0-9_\-]{16,}"),
    ("openai-key", ("sk-",), r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ("gitlab-token", ("glpat-",), r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    ("aws-key-id", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("slack-token", ("xox",), r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("google-key", ("AIza",), r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("stripe-key", ("_live_", "_test_"), r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("jwt", ("eyJ",), r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
)  # fmt: skip
_SHAPES = tuple((kind, literals, re.compile(rx)) for kind, literals, rx in _PATTERNS)
# scheme://user:PASSWORD@host: the password goes, the rest stays readable.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)([^\s@/'\"]+)(@)")


def _shaped(text: str) -> bool:
    return any(any(lit in text for lit in literals) and rx.search(text) for _, literals, rx in _SHAPES)


def redact_shapes(text: str) -> str:
    """`text` with every credential-shaped piece replaced."""
    for kind, literals, rx in _SHAPES:
        if any(lit in text for lit in literals):
            text = rx.sub(f"[REDACTED:{kind}]", text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}[REDACTED]{m.group(3)}", text)
    return text


def secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret."""
    return name.upper() not in _HARMLESS_NAMES and bool(_SECRET_NAME.search(name))


def _secret_value(name: str, value: str) -> bool:
    if len(value) < MIN_SECRET_CHARS or value.lower() in _HARMLESS_VALUES:
        return False
    if secret_name(name):
        # A path or a plain number is configuration that merely sits under a secret-sounding name.
        return not (value.startswith(("/", "~", "./")) or value.isdigit())
    return bool(_URL_PASSWORD.search(value) or _shaped(value))


class Redactor:
    """Replaces known secret values and secret-shaped text with `[REDACTED:what]`."""

    def __init__(self, environ: Mapping[str, str]):
        values: dict[str, str] = {}
        for name, value in environ.items():
            if _secret_value(name, value):
                values.setdefault(value, name)
        self._names = values
        # Longest first, so a value that contains another is replaced whole.
        ordered = sorted(values, key=len, reverse=True)
        self._values = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._values is not None:
            text = self._values.sub(lambda m: f"[REDACTED:{self._names[m.group(0)]}]", text)
        return redact_shapes(text)


_cached: tuple[object, Redactor] | None = None


def redactor() -> Redactor:
    """The redactor for this process's environment as it is now (rebuilt when the environment changed).

    It is asked for at every event and tool answer: the environment is compared as CPython keeps it
    (one dict of bytes, compared in C), and only read whole when that is not to be had."""
    global _cached
    raw = getattr(os.environ, "_data", None)
    if isinstance(raw, dict):
        if _cached is not None and _cached[0] == raw:
            return _cached[1]
        key: object = dict(raw)
    else:
        key = tuple(sorted(os.environ.items()))
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    _cached = (key, Redactor(os.environ))
    return _cached[1]


def redact(text: str) -> str:
    """`text` without this process's secrets or anything shaped like a credential."""
    return redactor()(text)


def redact_data(value: Any, scrub: Callable[[str], str] | None = None) -> Any:
    """Every string inside nested lists and dicts redacted."""
    scrub = scrub or redactor()
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: redact_data(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, scrub) for v in value]
    return value


M = TypeVar("M", bound=BaseModel)


def redact_model(model: M) -> M:
    """A copy of a pydantic record with every string field redacted (itself when nothing changed)."""
    data = model.model_dump()
    clean = redact_data(data)
    return model if clean == data else type(model).model_validate(clean)
