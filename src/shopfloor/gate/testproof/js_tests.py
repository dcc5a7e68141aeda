"""Integrity checks for JavaScript/TypeScript tests: TI001-TI005 on `it`/`test` blocks, TI006 via js_mocks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from shopfloor.gate.findings import Finding
from shopfloor.gate.security.js_tokens import Token, matching, split_args, tokenize
from shopfloor.gate.testproof.js_blocks import (
    JsBlock,
    asserting_helpers,
    at,
    enclosing_test,
    find_blocks,
    is_falsy_literal,
    is_literal_span,
    is_punct,
    span_asserts,
)
from shopfloor.gate.testproof.js_mocks import mocked_module_findings
from shopfloor.gate.testproof.js_swallow import swallow_findings
from shopfloor.gate.testproof.rules import finding

_SKIP_MODS = {"skip", "todo", "skipIf", "fixme", "fails"}
_SKIP_FNS = {"xit", "xtest", "xspecify", "xdescribe", "xcontext"}
_ONLY_FNS = {"fit", "fdescribe", "fcontext"}
_CONTEXT_NAMES = {"t", "this", "ctx", "context"}
_ONE_VALUE = {"", "ok", "isOk", "isTrue", "true", "isNotNull", "exists", "isDefined", "isFalse", "notOk"}
_TWO_VALUES = {
    "equal", "strictEqual", "deepEqual", "deepStrictEqual", "notEqual", "notStrictEqual", "notDeepEqual",
    "notDeepStrictEqual", "equals", "eql", "sameMembers", "include", "isAbove", "isBelow",
}  # fmt: skip
_SAME_IS_TRUE = {"equal", "strictEqual", "deepEqual", "deepStrictEqual", "equals", "eql"}
_SAME_MATCHERS = {"toBe", "toEqual", "toStrictEqual"}

Marker = tuple[str, str, int]
"""(kind, title of the test or group it applies to, line)."""

_SKIP_HINT = (
    "Remove the skip and make the test pass; if it truly cannot run here, say why in the task report instead."
)
_ONLY_HINT = "Remove `.only`: it silently turns every other test in the run off."
_CONST_HINT = "Assert on a value the code under test produced, against an independently known expectation."


def check_js_test(
    rel_path: str, text: str, *, lines: frozenset[int] | None = None, base: str | None = None
) -> list[Finding]:
    """Findings for one JS/TS test file; only blocks touching `lines` (None: all) are judged."""
    toks = tokenize(text)
    blocks = find_blocks(toks)
    helpers = asserting_helpers(toks)
    out = list(_added_markers(rel_path, toks, blocks, base))
    skipped = {b.name_at for b in blocks if _skip_kind(b) or any(True for _ in _option_flags(toks, b))}
    skipped |= {b.name_at for b in blocks if _calls_skip(toks, b)}
    for block in blocks:
        if not block.is_test or not block.touches(lines):
            continue
        args = split_args(toks, block.open_at, block.close_at)
        has_body = len(args) >= 2
        if (
            has_body
            and block.name_at not in skipped
            and not span_asserts(toks, block.open_at, block.close_at, helpers)
        ):
            name = block.title or block.fn
            out.append(
                finding(
                    "TI001",
                    rel_path,
                    block.line,
                    f"test `{name}` asserts nothing, so it cannot fail",
                    "Add `expect(...)`/`assert` calls on what the code under test returns or changes.",
                )
            )
        out.extend(_constant_assertions(rel_path, toks, block))
        out.extend(swallow_findings(rel_path, toks, block, helpers))
    out.extend(mocked_module_findings(rel_path, toks, lines))
    return sorted(out, key=lambda f: (f.line, f.rule_id))


def touched_test_titles(text: str, lines: frozenset[int] | None) -> list[str]:
    """Titles of the test blocks that the changed lines touch."""
    return [b.title for b in find_blocks(tokenize(text)) if b.is_test and b.title and b.touches(lines)]


def markers(toks: list[Token], blocks: list[JsBlock]) -> list[Marker]:
    """Every skip/todo/only in the file: block modifiers, `x`/`f` prefixes, `{ skip: true }`, `t.skip()`."""
    found: list[Marker] = []
    for b in blocks:
        kind = _skip_kind(b) or _only_kind(b)
        if kind:
            found.append((kind, b.title, b.line))
        for key, line in _option_flags(toks, b):
            found.append((f"{b.fn}({{ {key} }})", b.title, line))
    for i, tok in enumerate(toks):
        if tok.kind == "ident" and tok.text in {"skip", "todo"} and is_punct(at(toks, i - 1), "."):
            recv = at(toks, i - 2)
            if recv is not None and recv.text in _CONTEXT_NAMES and is_punct(at(toks, i + 1), "("):
                owner = enclosing_test(blocks, i)
                found.append((f"{recv.text}.{tok.text}()", owner.title if owner else "", tok.line))
    return found


def _calls_skip(toks: list[Token], b: JsBlock) -> bool:
    return any(
        t.kind == "ident" and t.text in {"skip", "todo"} and is_punct(at(toks, k - 1), ".")
        for k, t in enumerate(toks[b.open_at : b.close_at], start=b.open_at)
    )


def _skip_kind(b: JsBlock) -> str:
    if b.fn in _SKIP_FNS:
        return b.fn
    mod = next((m for m in b.modifiers if m in _SKIP_MODS), "")
    return f"{b.fn}.{mod}" if mod else ""


def _only_kind(b: JsBlock) -> str:
    if b.fn in _ONLY_FNS:
        return b.fn
    return f"{b.fn}.only" if "only" in b.modifiers else ""


def _option_flags(toks: list[Token], b: JsBlock) -> Iterator[tuple[str, int]]:
    """node:test's options object: `test('x', { skip: true }, fn)`, `{ only: true }`, `{ todo: '...' }`."""
    for arg in split_args(toks, b.open_at, b.close_at)[1:]:
        if not arg or not is_punct(arg[0], "{"):
            continue
        depth = 0
        for k, t in enumerate(arg):
            if t.kind == "punct" and t.text in {"{", "(", "["}:
                depth += 1
            elif t.kind == "punct" and t.text in {"}", ")", "]"}:
                depth -= 1
            elif depth == 1 and t.kind == "ident" and t.text in {"skip", "todo", "only"}:
                value = arg[k + 2] if k + 2 < len(arg) and is_punct(arg[k + 1], ":") else None
                if value is not None and value.text not in {"false", "undefined", "null", "0"}:
                    yield t.text, t.line


def _added_markers(
    rel_path: str, toks: list[Token], blocks: list[JsBlock], base: str | None
) -> Iterator[Finding]:
    before: Counter[tuple[str, str]] = Counter()
    if base is not None:
        btoks = tokenize(base)
        before.update((kind, title) for kind, title, _ in markers(btoks, find_blocks(btoks)))
    for kind, title, line in sorted(markers(toks, blocks), key=lambda m: m[2]):
        if before[(kind, title)] > 0:
            before[(kind, title)] -= 1
            continue
        where = f"`{title}`" if title else "a test"
        if "only" in kind or kind in _ONLY_FNS:
            yield finding(
                "TI005", rel_path, line, f"{kind} added on {where}: only focused tests will run", _ONLY_HINT
            )
        else:
            yield finding(
                "TI004",
                rel_path,
                line,
                f"{kind} added on {where}: the test no longer runs or counts",
                _SKIP_HINT,
            )


def _constant_assertions(rel_path: str, toks: list[Token], block: JsBlock) -> Iterator[Finding]:
    name = block.title or block.fn
    for k in range(block.open_at, block.close_at):
        t = toks[k]
        if t.kind != "ident" or not is_punct(at(toks, k + 1), "("):
            continue
        what = ""
        if t.text == "expect":
            what = _constant_expect(toks, k + 1)
        elif t.text == "assert" and not is_punct(at(toks, k - 1), "."):
            what = _constant_assert(toks, k + 1, "")
        elif t.text in _ONE_VALUE | _TWO_VALUES and is_punct(at(toks, k - 1), "."):
            recv = at(toks, k - 2)
            if recv is not None and recv.text == "assert":
                what = _constant_assert(toks, k + 1, t.text)
        if what:
            yield finding("TI002", rel_path, t.line, f"{what} in `{name}`, so it always passes", _CONST_HINT)


def _constant_expect(toks: list[Token], open_at: int) -> str:
    close = matching(toks, open_at)
    subject = toks[open_at + 1 : close]
    if is_literal_span(subject):
        return f"`expect({_spell(subject)})` checks a literal"
    k = close + 1
    if is_punct(at(toks, k), ".") and (nt := at(toks, k + 1)) is not None and nt.text == "not":
        k += 2
    matcher = at(toks, k + 1)
    if (
        is_punct(at(toks, k), ".")
        and matcher is not None
        and matcher.text in _SAME_MATCHERS
        and is_punct(at(toks, k + 2), "(")
    ):
        expected = toks[k + 3 : matching(toks, k + 2)]
        if _same_plain(subject, expected):
            call = f"expect({_spell(subject)}).{matcher.text}({_spell(expected)})"
            return f"`{call}` compares a value with itself"
    return ""


def _constant_assert(toks: list[Token], open_at: int, method: str) -> str:
    args = split_args(toks, open_at, matching(toks, open_at))
    label = f"assert.{method}" if method else "assert"
    if method in _ONE_VALUE and args and is_literal_span(args[0]):
        if method in {"", "ok", "isOk", "isTrue", "true"} and is_falsy_literal(args[0]):
            return ""  # assert(false): failing on purpose
        return f"`{label}({_spell(args[0])})` checks a literal"
    if method in _TWO_VALUES and len(args) >= 2:
        if is_literal_span(args[0]) and is_literal_span(args[1]):
            return f"`{label}({_spell(args[0])}, {_spell(args[1])})` compares two literals"
        if method in _SAME_IS_TRUE and _same_plain(args[0], args[1]):
            return f"`{label}` compares `{_spell(args[0])}` with itself"
    return ""


def _same_plain(a: list[Token], b: list[Token]) -> bool:
    """Both are the same variable or property path, with no call that could differ between evaluations."""
    if not a or [t.text for t in a] != [t.text for t in b]:
        return False
    return all(t.kind == "ident" or (t.kind == "punct" and t.text in {".", "?."}) for t in a)


def _spell(toks: list[Token]) -> str:
    parts = [repr(t.text) if t.kind == "string" else t.text for t in toks]
    text = "".join(p if p in {".", "(", ")"} else p + (" " if p == "," else "") for p in parts).strip()
    return text if len(text) <= 50 else text[:47] + "..."
