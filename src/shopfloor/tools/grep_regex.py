"""ripgrep's regex dialect on Python's `re`: translation, ripgrep-style errors, a literal prefilter.

Translated: POSIX classes (`[[:alpha:]]`), `\\z`, `\\x{HEX}`. Refused, as ripgrep refuses them:
look-around, backreferences, `\\Z`, `\\N{..}`, escaped characters that are not regex syntax (`\\"`).
Not supported here although ripgrep accepts them: Unicode classes `\\p{..}` (refused with a clear
error), the `(?U)` flag, inline flags after the start of the pattern, stacked repetition such as
`a**`, class set operations `&&`/`--`, negated POSIX classes `[[:^alpha:]]`.
"""

from __future__ import annotations

import re
import warnings

from shopfloor.tools.grep_search import PatternError

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_RUST_META = frozenset("\\.+*?()|[]{}^$#&-~")
_LOOKAROUND = ("(?<=", "(?<!", "(?=", "(?!")
_NEWLINE_NOTE = (
    "the literal '\\n' is not allowed in a regex unless multiline is on.\n"
    "Pass multiline: true to let the pattern match across lines."
)
# Python's messages for the usual mistakes, in ripgrep's words: (python prefix, rg text, caret shift).
_PY_ERRORS = (
    ("missing ), unterminated subpattern", "unclosed group", 0),
    ("unterminated character set", "unclosed character class", 0),
    ("nothing to repeat", "repetition operator missing expression", 0),
    ("unbalanced parenthesis", "unopened group", 0),
    ("bad escape", "unrecognized escape sequence", 0),
    ("unknown extension", "unrecognized flag", 1),
)


def parse_error(pattern: str, pos: int, width: int, text: str) -> PatternError:
    """An error laid out like ripgrep's: the pattern, a caret line under the culprit, the reason."""
    return PatternError(f"regex parse error:\n    {pattern}\n    {' ' * pos}{'^' * width}\nerror: {text}")


def newline_error() -> PatternError:
    return PatternError(_NEWLINE_NOTE)


def translate(pattern: str, *, multiline: bool) -> str:
    """The Python equivalent of a ripgrep pattern; raises PatternError where ripgrep would refuse it."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            _check_escape(pattern, i)
            if nxt == "n" and not multiline:
                raise newline_error()
            if nxt in "pP":
                raise PatternError(
                    "Unicode classes such as \\p{L} need ripgrep, which is not installed; "
                    "use an explicit character class instead."
                )
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "x" and pattern.startswith("{", i + 2) and "}" in pattern[i + 3 :]:
                end = pattern.index("}", i + 3)
                out.append(_hex_escape(pattern, i, pattern[i + 3 : end]))
                i = end + 1
                continue
            else:
                out.append(pattern[i : i + 2])
            i += 2
        elif c == "\n" and not multiline:
            raise newline_error()
        elif c == "(" and pattern.startswith("(?", i):
            for token in _LOOKAROUND:
                if pattern.startswith(token, i):
                    msg = "look-around, including look-ahead and look-behind, is not supported"
                    raise parse_error(pattern, i, len(token), msg)
            if pattern.startswith("(?P=", i):
                raise parse_error(pattern, i + 3, 1, "unrecognized flag")
            out.append(c)
            i += 1
        elif c == "[":
            end, body = _char_class(pattern, i, multiline)
            out.append(body)
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _check_escape(pattern: str, at: int) -> None:
    """Refuse the escapes Python accepts and ripgrep does not (`\\"`, `\\Z`, `\\N{..}`, `\\0`...)."""
    nxt = pattern[at + 1]
    if nxt.isdigit():
        raise parse_error(pattern, at, 2, "backreferences are not supported")
    if nxt in "NZ" or (not nxt.isalnum() and nxt not in _RUST_META):
        raise parse_error(pattern, at, 2, "unrecognized escape sequence")


def _hex_escape(pattern: str, at: int, digits: str) -> str:
    try:
        code = int(digits, 16)
        chr(code)
    except (ValueError, OverflowError):
        raise parse_error(pattern, at, len(digits) + 4, "invalid hexadecimal code point") from None
    return f"\\U{code:08x}"


def _char_class(pattern: str, start: int, multiline: bool) -> tuple[int, str]:
    """Copy one `[...]`, expanding POSIX classes; an unclosed class is left for `re` to report."""
    out = ["["]
    i = start + 1
    if pattern.startswith("^", i):
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            out.append("]")
            return i + 1, "".join(out)
        first = False
        if c == "\\" and i + 1 < len(pattern):
            _check_escape(pattern, i)
            if pattern[i + 1] == "n" and not multiline:
                raise newline_error()
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[" and pattern.startswith("[:", i) and ":]" in pattern[i + 2 :]:
            end = pattern.index(":]", i + 2)
            name = pattern[i + 2 : end]
            negated = name.startswith("^")
            body = _POSIX.get(name.lstrip("^"))
            if body is None or negated:
                raise parse_error(pattern, i, end + 2 - i, "invalid ASCII character class")
            out.append(body)
            i = end + 2
        elif c == "[":
            out.append("\\[")
            i += 1
        else:
            if c == "\n" and not multiline:
                raise newline_error()
            out.append(c)
            i += 1
    return len(pattern), "".join(out)


def compile_pattern(pattern: str, *, ignore_case: bool, multiline: bool) -> re.Pattern[str]:
    """Compile a ripgrep-dialect pattern for whole-text search (`^`/`$` match at every line)."""
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0) | (re.DOTALL if multiline else 0)
    translated = translate(pattern, multiline=multiline)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(translated, flags)
    except re.error as err:
        raise _from_python(pattern, translated, err) from None


def _from_python(pattern: str, translated: str, err: re.error) -> PatternError:
    pos = err.pos if err.pos is not None and translated == pattern else 0
    for prefix, text, shift in _PY_ERRORS:
        if err.msg.startswith(prefix):
            width = 2 if prefix == "bad escape" else 1
            return parse_error(pattern, pos + shift, width, text)
    if err.msg.startswith("min repeat greater than max repeat"):
        start = max(pattern.rfind("{", 0, pos + 1), 0)
        end = pattern.find("}", start)
        width = (end - start + 1) if end >= 0 else 1
        return parse_error(
            pattern, start, width, "invalid repetition count range, the start must be <= the end"
        )
    return parse_error(pattern, pos, 1, err.msg)


def required_literal(pattern: str) -> str | None:
    """A piece of text every match must contain, for a cheap substring test before the regex runs."""
    if "(?" in pattern.replace("(?:", "").replace("(?P<", ""):
        return None  # inline flags such as (?i) or (?x) change what the text means
    runs: list[str] = []
    run: list[str] = []
    depth = 0
    i, n = 0, len(pattern)

    def close() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            literal = not nxt.isalnum() and nxt not in " \n"
            if depth == 0 and literal:
                run.append(nxt)
            else:
                close()
            i += 2
            continue
        if c == "[":
            close()
            i = _skip_class(pattern, i)
            continue
        if c in "*?{":
            if run and depth == 0 and i > 0 and pattern[i - 1] != ")":
                run.pop()  # the atom before an optional quantifier may be absent
            close()
            if c == "{":
                close_at = pattern.find("}", i)
                i = close_at + 1 if close_at >= 0 else n
                continue
        elif c == "+" or c in ".^$":
            close()
        elif c == "(":
            close()
            depth += 1
        elif c == ")":
            close()
            depth = max(depth - 1, 0)
        elif c == "|":
            if depth == 0:
                return None
        elif depth == 0:
            run.append(c)
        i += 1
    close()
    best = max(runs, key=len, default="")
    return best if len(best) >= 2 else None


def _skip_class(pattern: str, start: int) -> int:
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1
