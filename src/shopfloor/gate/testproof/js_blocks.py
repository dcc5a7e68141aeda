"""Reading JavaScript/TypeScript test files: `it`/`test`/`describe` blocks and what counts as an assertion."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.gate.security.js_tokens import Token, matching

_TEST_FNS = {"it", "test", "specify", "xit", "xtest", "xspecify", "fit"}
_GROUP_FNS = {"describe", "suite", "context", "xdescribe", "xcontext", "fdescribe", "fcontext"}
_ASSERT_WORDS = {"expect", "assert", "should", "expectTypeOf", "assertType", "throw"}
_ASSERT_PREFIXES = ("assert", "expect", "check", "verify", "should")
# Queries that throw when nothing matches (Testing Library): calling one is a check in itself.
_IMPLICIT_PREFIXES = ("getby", "getallby", "findby", "findallby")
LITERAL_WORDS = {"true", "false", "null", "undefined", "NaN"}
# Modifiers of jest, vitest, mocha, node:test and Playwright; anything else (`test.set(...)` on a
# supertest request stored in a variable named `test`) is not a test block.
_MODIFIERS = {
    "only", "skip", "todo", "each", "concurrent", "skipIf", "runIf", "fails", "failing", "fixme",
    "sequential", "serial", "parallel", "describe", "it", "test", "suite", "for",
}  # fmt: skip


@dataclass(frozen=True)
class JsBlock:
    """One `it(...)`/`test(...)`/`describe(...)` call: its name, modifiers, title and token span."""

    fn: str
    modifiers: tuple[str, ...]
    """`("only",)` for `it.only`, `("each",)` for `test.each(table)(...)`."""
    title: str
    name_at: int
    open_at: int
    close_at: int
    line: int
    last_line: int

    @property
    def is_test(self) -> bool:
        return self.fn in _TEST_FNS and not {"describe", "suite"} & set(self.modifiers)

    def touches(self, lines: frozenset[int] | None) -> bool:
        return lines is None or any(self.line <= n <= self.last_line for n in lines)


def is_punct(tok: Token | None, text: str) -> bool:
    return tok is not None and tok.kind == "punct" and tok.text == text


def at(toks: list[Token], i: int) -> Token | None:
    return toks[i] if 0 <= i < len(toks) else None


def find_blocks(toks: list[Token]) -> list[JsBlock]:
    """Every test and group call in the file, in source order."""
    blocks: list[JsBlock] = []
    for i, tok in enumerate(toks):
        if tok.kind != "ident" or tok.text not in _TEST_FNS | _GROUP_FNS:
            continue
        prev = at(toks, i - 1)
        if prev is not None and (
            (prev.kind == "punct" and prev.text in {".", "?."}) or prev.text == "function"
        ):
            continue
        mods: list[str] = []
        j = i + 1
        while is_punct(at(toks, j), ".") and (nxt := at(toks, j + 1)) is not None and nxt.kind == "ident":
            mods.append(nxt.text)
            j += 2
        call = _main_call(toks, j)
        if call is None or not set(mods) <= _MODIFIERS:
            continue
        open_at, close_at = call
        first = at(toks, open_at + 1)
        title = first.text if first is not None and first.kind in {"string", "template"} else ""
        blocks.append(
            JsBlock(tok.text, tuple(mods), title, i, open_at, close_at, tok.line, toks[close_at].line)
        )
    return blocks


def _main_call(toks: list[Token], j: int) -> tuple[int, int] | None:
    """Parentheses of the call taking title and body; curried forms such as `each(t)(...)` skip ahead."""
    found: tuple[int, int] | None = None
    while (tok := at(toks, j)) is not None:
        if tok.kind == "template" and found is None:
            j += 1  # test.each`table`(...)
        elif is_punct(tok, "("):
            close = matching(toks, j)
            found = (j, close)
            j = close + 1
        else:
            break
    return found


def enclosing_test(blocks: list[JsBlock], index: int) -> JsBlock | None:
    """The innermost test block whose parentheses contain token `index`."""
    inside = [b for b in blocks if b.is_test and b.open_at < index < b.close_at]
    return min(inside, key=lambda b: b.close_at - b.open_at, default=None)


def asserting_helpers(toks: list[Token]) -> set[str]:
    """Names of functions declared in the file whose bodies assert (`function checkUser(...) {...}`)."""
    bodies: dict[str, tuple[int, int]] = {}
    for i, tok in enumerate(toks):
        if tok.kind != "ident":
            continue
        if (prev := at(toks, i - 1)) is not None and prev.text == "function":
            span = _body_after(toks, i)
        elif is_punct(at(toks, i + 1), "=") and (prev is not None and prev.text in {"const", "let", "var"}):
            span = callback_body(toks, i + 2)
        else:
            continue
        if span is not None:
            bodies[tok.text] = span
    helpers: set[str] = set()
    for _ in range(3):  # helpers that call helpers that assert
        for name, (lo, hi) in bodies.items():
            if name not in helpers and span_asserts(toks, lo, hi, helpers):
                helpers.add(name)
    return helpers


def _body_after(toks: list[Token], i: int) -> tuple[int, int] | None:
    k = i + 1
    if not is_punct(at(toks, k), "("):
        return None
    k = matching(toks, k) + 1
    while (tok := at(toks, k)) is not None and not is_punct(tok, "{"):
        if tok.text in {";", "=>"}:
            return None
        k += 1
    return (k, matching(toks, k)) if tok is not None else None


def callback_body(toks: list[Token], k: int) -> tuple[int, int] | None:
    """Body of `(async) (args) => ...` or `function (args) {...}` starting at token `k`."""
    if (tok := at(toks, k)) is not None and tok.text == "async":
        k += 1
    tok = at(toks, k)
    if tok is not None and tok.text == "function":
        return _body_after(toks, k + (1 if (n := at(toks, k + 1)) is not None and n.kind == "ident" else 0))
    if is_punct(tok, "("):
        k = matching(toks, k) + 1
    elif tok is not None and tok.kind == "ident":
        k += 1
    else:
        return None
    while (tok := at(toks, k)) is not None and is_punct(tok, ":"):  # a TypeScript return type
        k += 2
    if not is_punct(at(toks, k), "=>"):
        return None
    if is_punct(at(toks, k + 1), "{"):
        return k + 1, matching(toks, k + 1)
    return k + 1, expression_end(toks, k + 1)


def expression_end(toks: list[Token], k: int) -> int:
    """Last token of the expression starting at `k`: up to a `,` `;` or closing bracket at depth zero."""
    depth = 0
    for m in range(k, len(toks)):
        t = toks[m]
        if t.kind == "punct" and t.text in "([{" and len(t.text) == 1:
            depth += 1
        elif t.kind == "punct" and t.text in ")]}" and len(t.text) == 1:
            if depth == 0:
                return m - 1
            depth -= 1
        elif depth == 0 and t.kind == "punct" and t.text in {",", ";"}:
            return m - 1
    return len(toks) - 1


def span_asserts(toks: list[Token], lo: int, hi: int, helpers: set[str]) -> bool:
    """Whether tokens lo..hi contain something that can fail a test."""
    for k in range(lo, min(hi, len(toks) - 1) + 1):
        t = toks[k]
        if t.kind != "ident":
            continue
        calls = is_punct(at(toks, k + 1), "(")
        low = t.text.lower()
        if t.text in _ASSERT_WORDS or (calls and (low.startswith(_ASSERT_PREFIXES) or low == "fail")):
            return True
        if calls and low.startswith(_IMPLICIT_PREFIXES):
            return True
        if calls and t.text in helpers:
            return True
    return False


def is_literal_span(toks: list[Token]) -> bool:
    """Tokens that only spell a literal: `1`, `'x'`, `true`, `-1`, `[1, 2]`, `{ a: 1 }`."""
    if not toks:
        return False
    for k, t in enumerate(toks):
        if t.kind in {"number", "string", "regex"} or (t.kind == "template" and not t.exprs):
            continue
        if t.kind == "ident" and (t.text in LITERAL_WORDS or is_punct(at(toks, k + 1), ":")):
            continue
        if t.kind == "punct" and t.text in {"[", "]", "{", "}", ",", ":", "-", "+", "!"}:
            continue
        return False
    return True


def is_falsy_literal(toks: list[Token]) -> bool:
    if len(toks) != 1:
        return False
    t = toks[0]
    return t.text in {"false", "0", "null", "undefined", "NaN"} or (t.kind == "string" and t.text == "")
