"""The one glob-to-regex translator: the Glob tool, ignore files and the gate's protected paths share it.

Supported: `*`, `?`, `[...]` (with `!`/`^` negation and ranges), `{a,b}`, `**` as whole path
components, and `\\` escapes. `strict` refuses what ripgrep refuses (an unclosed class or group, a
nested group); otherwise those characters are taken literally, as gitignore files do.
"""

from __future__ import annotations

import re
from functools import lru_cache


class GlobSyntaxError(ValueError):
    """A glob that cannot be translated (only raised in strict mode)."""


def glob_to_regex(glob: str, *, literal_separator: bool = True, strict: bool = False) -> str:
    """A regex body matching whole relative paths (`/`-separated) the glob matches.

    With `literal_separator` off, `*` and `?` also cross `/` (ripgrep's `--iglob` in a type filter).
    """
    star = "[^/]*" if literal_separator else ".*"
    one = "[^/]" if literal_separator else "."
    out: list[str] = []
    i, n = 0, len(glob)
    depth = 0
    while i < n:
        c = glob[i]
        if c == "\\":
            if i + 1 < n:
                out.append(re.escape(glob[i + 1]))
            elif not strict:
                out.append(re.escape(c))
            i += 2
        elif c == "*":
            j = i
            while j < n and glob[j] == "*":
                j += 1
            whole = j - i >= 2 and (i == 0 or glob[i - 1] == "/") and (j == n or glob[j] == "/")
            if not whole or not literal_separator:
                out.append(star)
            elif j == n:  # `x/**` or `**`: everything below, across folders
                out.append(".*")
            else:  # `**/`: zero or more whole folders
                out.append("(?:.*/)?")
                j += 1
            i = j
        elif c == "?":
            out.append(one)
            i += 1
        elif c == "[":
            end, body = _char_class(glob, i)
            if end < 0:
                if strict:
                    raise GlobSyntaxError("unclosed character class; missing ']'")
                out.append(re.escape(c))
                i += 1
            else:
                out.append(body)
                i = end
        elif c == "{":
            if depth and strict:
                raise GlobSyntaxError("nested alternate groups are not allowed")
            depth += 1
            out.append("(?:")
            i += 1
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
            i += 1
        elif c == "," and depth:
            out.append("|")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    if depth and strict:
        raise GlobSyntaxError("unclosed alternate group; missing '}'")
    out.extend(")" * depth)
    return "".join(out)


def _char_class(glob: str, start: int) -> tuple[int, str]:
    """Translate `[...]` at `start`: (index after it, regex), or (-1, "") when it is not closed."""
    i = start + 1
    negate = i < len(glob) and glob[i] in "!^"
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while i < len(glob) and (glob[i] != "]" or first):
        first = False
        c = glob[i]
        if c == "\\" and i + 1 < len(glob):
            c = glob[i + 1]
            i += 1
        if i + 2 < len(glob) and glob[i + 1] == "-" and glob[i + 2] != "]":
            items.append(f"{re.escape(c)}-{re.escape(glob[i + 2])}")
            i += 3
        else:
            items.append(re.escape(c))
            i += 1
    if i >= len(glob):
        return -1, ""
    return i + 1, "[" + ("^" if negate else "") + "".join(items) + "]"


def path_glob_match(pattern: str, path: str) -> bool:
    """gitignore-like matching of one relative path: a pattern without an inner `/` matches at any
    depth (`conftest.py`, `tests/**`); a leading `/` or an inner one anchors it at the root."""
    return bool(_path_regex(pattern).match(path))


@lru_cache(maxsize=512)
def _path_regex(pattern: str) -> re.Pattern[str]:
    core = pattern.removesuffix("/**")
    anywhere = "/" not in core.lstrip("/") and not pattern.startswith("/")
    body = glob_to_regex(pattern.lstrip("/"))
    return re.compile(("^(?:.*/)?" if anywhere else "^") + body + "$", re.DOTALL)
