"""A small JavaScript/TypeScript tokenizer: enough to tell code from strings, comments and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["ident", "string", "template", "number", "punct", "regex"]

_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT = _IDENT_START | set("0123456789")
# After these a `/` starts a regular expression rather than a division.
_REGEX_AFTER_PUNCT = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_AFTER_WORD = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw"}
_MULTI_PUNCT = ("===", "!==", "...", "=>", "==", "!=", "&&", "||", "??", "?.", "+=", "-=", "<=", ">=")


@dataclass
class Token:
    kind: TokenKind
    text: str
    """Identifier or punctuation as written; for strings and templates, the literal text without quotes."""
    line: int
    parts: list[str] = field(default_factory=list)
    """Template literals: the literal pieces between `${...}`."""
    exprs: list[tuple[str, int]] = field(default_factory=list)
    """Template literals: each `${...}` expression's source and the line it starts on."""
    end_line: int = 0
    """The line the token ends on (templates and comments-free strings can span lines)."""

    def __post_init__(self) -> None:
        self.end_line = max(self.end_line, self.line)


def tokenize(src: str, first_line: int = 1) -> list[Token]:
    """Split `src` into tokens, dropping comments and whitespace; never raises on odd input."""
    toks: list[Token] = []
    i, n, line = 0, len(src), first_line
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += src.count("\n", i, j)
            i = j
        elif c in "'\"":
            j, text = _quoted(src, i, c)
            toks.append(Token("string", text, line))
            line += src.count("\n", i, j)
            i = j
        elif c == "`":
            tok, j = _template(src, i, line)
            line += src.count("\n", i, j)
            tok.end_line = line
            toks.append(tok)
            i = j
        elif c in _IDENT_START or ord(c) > 127:
            j = i + 1
            while j < n and (src[j] in _IDENT or ord(src[j]) > 127):
                j += 1
            toks.append(Token("ident", src[i:j], line))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] in "._"):
                j += 1
            toks.append(Token("number", src[i:j], line))
            i = j
        elif c == "/" and _regex_allowed(toks):
            j = _regex_end(src, i)
            toks.append(Token("regex", src[i:j], line))
            i = j
        else:
            op = next((m for m in _MULTI_PUNCT if src.startswith(m, i)), c)
            toks.append(Token("punct", op, line))
            i += len(op)
    return toks


def _quoted(src: str, i: int, quote: str) -> tuple[int, str]:
    j, n, out = i + 1, len(src), []
    while j < n and src[j] != quote and src[j] != "\n":
        if src[j] == "\\" and j + 1 < n:
            out.append(src[j + 1])
            j += 2
            continue
        out.append(src[j])
        j += 1
    return min(j + 1, n), "".join(out)


def _template(src: str, i: int, line: int) -> tuple[Token, int]:
    j, n = i + 1, len(src)
    parts: list[str] = []
    exprs: list[tuple[str, int]] = []
    buf: list[str] = []
    while j < n and src[j] != "`":
        if src[j] == "\\" and j + 1 < n:
            buf.append(src[j + 1])
            j += 2
        elif src.startswith("${", j):
            parts.append("".join(buf))
            buf = []
            end = _expr_end(src, j + 2)
            exprs.append((src[j + 2 : end], line + src.count("\n", i, j)))
            j = end + 1
        else:
            buf.append(src[j])
            j += 1
    parts.append("".join(buf))
    return Token("template", "".join(parts), line, parts=parts, exprs=exprs), min(j + 1, n)


def _expr_end(src: str, j: int) -> int:
    """Index of the `}` closing a template expression, skipping nested braces, strings and templates."""
    depth, n = 0, len(src)
    while j < n:
        c = src[j]
        if c in "'\"":
            j, _ = _quoted(src, j, c)
            continue
        if c == "`":
            _, j = _template(src, j, 0)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return j
            depth -= 1
        j += 1
    return n


def _regex_allowed(toks: list[Token]) -> bool:
    if not toks:
        return True
    last = toks[-1]
    if last.kind == "punct":
        return last.text[-1] in _REGEX_AFTER_PUNCT or last.text == "=>"
    return last.kind == "ident" and last.text in _REGEX_AFTER_WORD


def _regex_end(src: str, i: int) -> int:
    j, n, in_class = i + 1, len(src), False
    while j < n and src[j] != "\n":
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < n and src[j].isalpha():
                j += 1
            return j
        j += 1
    return j


def matching(toks: list[Token], open_at: int) -> int:
    """Index of the bracket closing the one at `open_at` (or the last token when unbalanced)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth = 0
    for k in range(open_at, len(toks)):
        t = toks[k]
        if t.kind != "punct":
            continue
        if t.text in pairs:
            depth += 1
        elif t.text in pairs.values():
            depth -= 1
            if depth == 0:
                return k
    return len(toks) - 1


def split_args(toks: list[Token], open_at: int, close_at: int) -> list[list[Token]]:
    """The argument token lists of a call whose parentheses sit at `open_at` and `close_at`."""
    args: list[list[Token]] = []
    cur: list[Token] = []
    depth = 0
    for t in toks[open_at + 1 : close_at]:
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "punct" and t.text == ",":
            args.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        args.append(cur)
    return args


def callee_before(toks: list[Token], paren_at: int) -> str:
    """The dotted name called at `paren_at` (`db.pool.query`), or '' when it is not a plain call."""
    names: list[str] = []
    k = paren_at - 1
    while k >= 0 and toks[k].kind == "ident":
        names.append(toks[k].text)
        if k >= 1 and toks[k - 1].kind == "punct" and toks[k - 1].text in {".", "?."}:
            k -= 2
        else:
            break
    return ".".join(reversed(names))
