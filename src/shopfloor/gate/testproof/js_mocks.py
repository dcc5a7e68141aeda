"""TI006 for JavaScript: `jest.mock`/`vi.mock` of the module the test is about.

The rule, kept narrow on purpose: a project module (a relative or `@/`-style specifier) is mocked and the
test file imports it (`import ... from`, `require`) under the same specifier, and either the test calls
something imported from it inside `expect(...)`/`assert(...)` (it asserts on the mock's own answer), or
the module is named like the test file (`math.test.js` mocking `./math`) and is mocked wholesale (no
`requireActual`/`importActual`). Mocking a dependency and asserting on how it was called is normal and is
never reported; neither are packages (`axios`, `fs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from shopfloor.gate.findings import Finding
from shopfloor.gate.security.js_tokens import Token, callee_before, matching
from shopfloor.gate.testproof.js_blocks import at, is_punct
from shopfloor.gate.testproof.rules import finding

_MOCKERS = {"jest.mock", "vi.mock", "jest.doMock", "vi.doMock", "jest.unstable_mockModule"}
_LOCAL = (".", "@/", "~/", "src/")
_EXT = re.compile(r"\.([cm]?[jt]sx?)$")
_TEST_SUFFIX = re.compile(r"\.(test|spec)$")
_HINT = (
    "Mock only what the unit depends on (HTTP, database, other modules), import the real unit and assert "
    "on what it returns; asserting on a mocked unit cannot fail."
)


@dataclass(frozen=True)
class ModuleMock:
    spec: str
    line: int
    partial: bool
    """The factory keeps the real module (`jest.requireActual`): only some exports are replaced."""


def mocked_module_findings(
    rel_path: str, toks: list[Token], lines: frozenset[int] | None
) -> Iterator[Finding]:
    """TI006 findings for a test file (see the module docstring for the exact rule)."""
    mocks = [
        m for m in module_mocks(toks) if m.spec.startswith(_LOCAL) and (lines is None or m.line in lines)
    ]
    if not mocks:
        return
    imports = imported_bindings(toks)
    asserted = _called_in_assertions(toks)
    stem = _TEST_SUFFIX.sub("", _EXT.sub("", PurePosixPath(rel_path).name))
    for mock in mocks:
        spec = normalize(mock.spec)
        bindings = imports.get(spec)
        if bindings is None:
            continue
        called = sorted(bindings & asserted)
        if called:
            why = f"asserts on what `{called[0]}` from that mock returns"
        elif PurePosixPath(spec).name == stem and not mock.partial:
            why = "the module replaced is the one this test file is named after"
        else:
            continue
        yield finding(
            "TI006",
            rel_path,
            mock.line,
            f"`{mock.spec}` is mocked and imported by the test, which {why}",
            _HINT,
        )


def normalize(spec: str) -> str:
    """`./math.js`, `./math` and `./math/index` name the same module."""
    spec = _EXT.sub("", spec)
    return spec.removesuffix("/index")


def module_mocks(toks: list[Token]) -> list[ModuleMock]:
    found: list[ModuleMock] = []
    for i, tok in enumerate(toks):
        if is_punct(tok, "(") and callee_before(toks, i) in _MOCKERS:
            first = at(toks, i + 1)
            if first is not None and first.kind == "string":
                args = toks[i + 1 : matching(toks, i)]
                partial = any(t.text in {"requireActual", "importActual"} for t in args)
                found.append(ModuleMock(first.text, first.line, partial))
    return found


def imported_bindings(toks: list[Token]) -> dict[str, set[str]]:
    """Normalized specifier -> local names bound by `import ... from` or `require(...)`."""
    out: dict[str, set[str]] = {}
    for i, tok in enumerate(toks):
        if tok.kind == "ident" and tok.text == "import" and not is_punct(at(toks, i - 1), "."):
            spec, names = _import_clause(toks, i + 1)
            if spec:
                out.setdefault(normalize(spec), set()).update(names)
        elif is_punct(tok, "(") and callee_before(toks, i) == "require":
            spec_tok = at(toks, i + 1)
            if spec_tok is not None and spec_tok.kind == "string":
                out.setdefault(normalize(spec_tok.text), set()).update(_require_target(toks, i - 2))
    return out


def _import_clause(toks: list[Token], k: int) -> tuple[str, set[str]]:
    names: list[str] = []
    while (t := at(toks, k)) is not None:
        if t.kind == "string":
            return t.text, set(names)
        if t.kind == "ident" and t.text == "from":
            nxt = at(toks, k + 1)
            return (nxt.text if nxt is not None and nxt.kind == "string" else ""), set(names)
        if t.kind == "ident" and t.text == "as" and (alias := at(toks, k + 1)) is not None:
            if names:
                names.pop()
            names.append(alias.text)
            k += 2
            continue
        if t.kind == "ident" and t.text not in {"type", "typeof"}:
            names.append(t.text)
        elif t.kind == "punct" and t.text in {";", "("}:
            break
        k += 1
    return "", set()


def _require_target(toks: list[Token], eq_at: int) -> set[str]:
    """Names bound by `const x = require(...)` or `const { a, b: c } = require(...)`."""
    if not is_punct(at(toks, eq_at), "="):
        return set()
    before = at(toks, eq_at - 1)
    if before is None:
        return set()
    if before.kind == "ident":
        return {before.text}
    if not is_punct(before, "}"):
        return set()
    k = eq_at - 1
    while k > 0 and not is_punct(toks[k], "{"):
        k -= 1
    names: set[str] = set()
    inner = toks[k + 1 : eq_at - 1]
    for j, t in enumerate(inner):
        if t.kind == "ident" and not (j + 1 < len(inner) and is_punct(inner[j + 1], ":")):
            names.add(t.text)
    return names


def _called_in_assertions(toks: list[Token]) -> set[str]:
    """Root names of calls inside `expect(...)`/`assert(...)` arguments: `add(1, 2)`, `math.add()`."""
    names: set[str] = set()
    for i, tok in enumerate(toks):
        if not (is_punct(tok, "(") and callee_before(toks, i).split(".")[0] in {"expect", "assert"}):
            continue
        args = toks[i + 1 : matching(toks, i)]
        for j, t in enumerate(args):
            if t.kind != "ident" or (j > 0 and is_punct(args[j - 1], ".")):
                continue
            k = j + 1
            member = ""
            while k + 1 < len(args) and is_punct(args[k], ".") and args[k + 1].kind == "ident":
                member = args[k + 1].text
                k += 2
            if k < len(args) and is_punct(args[k], "(") and not member.startswith("mock"):
                names.add(t.text)
    return names
