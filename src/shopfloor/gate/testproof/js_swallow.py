"""TI003 for JavaScript: `try/catch` or `.catch(...)` in a test that lets a failure pass silently."""

from __future__ import annotations

from collections.abc import Iterator

from shopfloor.gate.findings import Finding
from shopfloor.gate.security.js_tokens import Token, matching
from shopfloor.gate.testproof.js_blocks import JsBlock, at, callback_body, is_punct, span_asserts
from shopfloor.gate.testproof.rules import finding

_REPORTERS = {"done", "reject", "fail"}
_CONTINUES = {".", "?.", "(", "[", "{", ",", "=", "=>", "+", "-", "*", "/", "&&", "||", "??", "?", ":"}
HINT = (
    "Let the error fail the test. For an expected error use `await expect(p).rejects.toThrow(...)`, "
    "`expect(() => f()).toThrow(...)` or `assert.rejects`; never catch errors so a test passes when a "
    "service is down."
)


def swallow_findings(
    rel_path: str, toks: list[Token], block: JsBlock, helpers: set[str]
) -> Iterator[Finding]:
    """`catch` clauses and `.catch` callbacks in one test block that swallow a failure."""
    lo, hi = block.open_at, block.close_at
    name = block.title or block.fn
    guarded = _counts_assertions(toks, lo, hi)
    asserted = _asserted_names(toks, lo, hi)
    for k in range(lo, hi):
        t = toks[k]
        what, line = "", t.line
        if t.kind == "ident" and t.text == "try" and is_punct(at(toks, k + 1), "{"):
            what = _try_catch(toks, k + 1, guarded, asserted, helpers)
            line = toks[min(matching(toks, k + 1) + 1, len(toks) - 1)].line  # the `catch` keyword
        elif t.kind == "ident" and t.text == "catch" and is_punct(at(toks, k - 1), "."):
            what = _promise_catch(toks, k, lo, guarded, helpers)
        if what:
            yield finding("TI003", rel_path, line, f"{what} in `{name}`", HINT)


def _try_catch(toks: list[Token], try_open: int, guarded: bool, asserted: set[str], helpers: set[str]) -> str:
    try_close = matching(toks, try_open)
    if (c := at(toks, try_close + 1)) is None or c.text != "catch":
        return ""
    m, param = try_close + 2, ""
    if is_punct(at(toks, m), "("):
        p = at(toks, m + 1)
        param = p.text if p is not None and p.kind == "ident" else ""
        m = matching(toks, m) + 1
    if not is_punct(at(toks, m), "{"):
        return ""
    body_lo, body_hi = m + 1, matching(toks, m) - 1
    if _reports(toks, body_lo, body_hi):
        return ""
    if not span_asserts(toks, body_lo, body_hi, helpers):
        if _stored(toks, body_lo, body_hi) & asserted:
            return ""  # recorded and checked later: errors.push(e) ... expect(errors).toEqual([])
        state = "is empty" if body_hi < body_lo else "neither rethrows nor asserts"
        return f"`catch` swallows the failure (its body {state})"
    fails_anyway = _has_fail(toks, try_open, try_close)
    if param and not guarded and not fails_anyway and _checks_only(toks, body_lo, body_hi, param):
        return (
            "`catch` only checks the caught error's message, so the test also passes when the call fails "
            "(for instance when the service is down)"
        )
    return ""


def _promise_catch(toks: list[Token], k: int, lo: int, guarded: bool, helpers: set[str]) -> str:
    open_at = k + 1
    if not is_punct(at(toks, open_at), "("):
        return ""
    close = matching(toks, open_at)
    if any(t.kind == "ident" and t.text in _REPORTERS | {"throw"} for t in toks[open_at + 1 : close]):
        return ""
    body = callback_body(toks, open_at + 1)
    param = _param(toks, open_at + 1)
    lo_b, hi_b = body if body is not None else (open_at + 1, close - 1)
    if not span_asserts(toks, lo_b, hi_b, helpers):
        start = _statement_start(toks, k - 1, lo)
        if span_asserts(toks, start, k - 1, helpers):
            return "`.catch(...)` swallows the failure of the assertions before it in the chain"
        return ""
    if param and not guarded and _checks_only(toks, lo_b, hi_b, param):
        return (
            "`.catch(...)` only checks the error's message, so the test also passes when the promise "
            "rejects for any reason, or resolves"
        )
    return ""


def _param(toks: list[Token], k: int) -> str:
    if (t := at(toks, k)) is not None and t.text == "async":
        k += 1
    if (t := at(toks, k)) is not None and t.text == "function":
        k += 2 if (n := at(toks, k + 1)) is not None and n.kind == "ident" else 1
    if is_punct(at(toks, k), "("):
        p = at(toks, k + 1)
        return p.text if p is not None and p.kind == "ident" else ""
    t = at(toks, k)
    return t.text if t is not None and t.kind == "ident" and is_punct(at(toks, k + 1), "=>") else ""


def _checks_only(toks: list[Token], lo: int, hi: int, param: str) -> bool:
    """Every check in lo..hi is about the caught error (`expect(e.message)...`), and nothing rethrows."""
    found = False
    for k in range(lo, hi + 1):
        t = toks[k]
        if t.kind != "ident":
            continue
        if t.text == "throw":
            return False
        if t.text in {"expect", "assert"} or (t.text.startswith("assert") and is_punct(at(toks, k + 1), "(")):
            m = k + 1
            while is_punct(at(toks, m), ".") and at(toks, m + 1) is not None:
                m += 2  # assert.match(...)
            if not is_punct(at(toks, m), "("):
                continue
            args = toks[m + 1 : matching(toks, m)]
            if not any(a.kind == "ident" and a.text == param for a in args):
                return False
            found = True
    return found


def _reports(toks: list[Token], lo: int, hi: int) -> bool:
    """The handler passes the error on: `done(err)`, `reject(err)`, `t.skip()`, `this.skip()`."""
    for k in range(lo, hi + 1):
        t = toks[k]
        if t.kind == "ident" and is_punct(at(toks, k + 1), "("):
            if t.text in _REPORTERS and not is_punct(at(toks, k + 2), ")"):
                return True
            if t.text in {"skip", "todo"} and is_punct(at(toks, k - 1), "."):
                return True
    return False


def _has_fail(toks: list[Token], lo: int, hi: int) -> bool:
    return any(t.kind == "ident" and t.text in {"fail", "throw"} for t in toks[lo : hi + 1])


def _counts_assertions(toks: list[Token], lo: int, hi: int) -> bool:
    """`expect.assertions(n)`, `expect.hasAssertions()` or `t.plan(n)`: a skipped catch fails the test."""
    return any(
        t.kind == "ident"
        and t.text in {"assertions", "hasAssertions", "plan"}
        and is_punct(at(toks, k - 1), ".")
        for k, t in enumerate(toks[lo:hi], start=lo)
    )


def _asserted_names(toks: list[Token], lo: int, hi: int) -> set[str]:
    names: set[str] = set()
    for k in range(lo, hi):
        if toks[k].text in {"expect", "assert"} and is_punct(at(toks, k + 1), "("):
            names |= {t.text for t in toks[k + 2 : matching(toks, k + 1)] if t.kind == "ident"}
    return names


def _stored(toks: list[Token], lo: int, hi: int) -> set[str]:
    """Variables the handler writes: `failed = true`, `errors.push(e)`."""
    names: set[str] = set()
    for k in range(lo, hi + 1):
        t = toks[k]
        if t.kind != "ident":
            continue
        if is_punct(at(toks, k + 1), "=") or (
            is_punct(at(toks, k + 1), ".")
            and (m := at(toks, k + 2)) is not None
            and m.text in {"push", "add", "set", "append", "unshift"}
        ):
            names.add(t.text)
    return names


def _statement_start(toks: list[Token], k: int, lo: int) -> int:
    """First token of the statement that token `k` belongs to, going back no further than `lo`."""
    depth = 0
    while k > lo:
        t, before = toks[k], toks[k - 1]
        if t.kind == "punct" and t.text in {")", "]", "}"}:
            depth += 1
        elif t.kind == "punct" and t.text in {"(", "[", "{"}:
            if depth == 0:
                return k + 1
            depth -= 1
        if depth == 0:
            if is_punct(before, ";"):
                return k
            # A line break ends a statement unless one of the two lines clearly continues the other.
            if before.line < t.line and t.text not in _CONTINUES and before.text not in _CONTINUES:
                return k
        k -= 1
    return lo + 1
