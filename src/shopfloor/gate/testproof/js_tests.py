"""Integrity checks for JavaScript/TypeScript tests: TI001-TI005 on `it`/`test` blocks; TI002/TI008 in
js_tautology, TI003 in js_swallow, TI006/TI007 in js_mocks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ast_grep_py import SgNode

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.js_ast import callee, calls_in, line, named, parse
from shopfloor.gate.testproof.js_blocks import (
    JsBlock,
    asserting_helpers,
    asserts,
    enclosing_test,
    find_blocks,
)
from shopfloor.gate.testproof.js_mocks import mocked_module_findings, replaced_unit_findings
from shopfloor.gate.testproof.js_swallow import swallow_findings
from shopfloor.gate.testproof.js_tautology import always_true_findings
from shopfloor.gate.testproof.rules import finding

_SKIP_MODS = {"skip", "todo", "skipIf", "fixme", "fails"}
_SKIP_FNS = {"xit", "xtest", "xspecify", "xdescribe", "xcontext"}
_ONLY_FNS = {"fit", "fdescribe", "fcontext"}
_CONTEXT_NAMES = {"t", "this", "ctx", "context"}

Marker = tuple[str, str, int]
"""(kind, title of the test or group it applies to, line)."""

_SKIP_HINT = (
    "Remove the skip and make the test pass; if it truly cannot run here, say why in the task report instead."
)
_ONLY_HINT = "Remove `.only`: it silently turns every other test in the run off."


def check_js_test(
    rel_path: str, text: str, *, lines: frozenset[int] | None = None, base: str | None = None
) -> list[Finding]:
    """Findings for one JS/TS test file; only blocks touching `lines` (None: all) are judged."""
    root = parse(rel_path, text)
    blocks = find_blocks(root)
    helpers = asserting_helpers(root)
    out = list(_added_markers(rel_path, root, blocks, base))
    skipped = {b.line for b in blocks if _skip_kind(b) or any(True for _ in _option_flags(b))}
    skipped |= {b.line for b in blocks if _calls_skip(b)}
    for block in blocks:
        if not block.is_test or not block.touches(lines):
            continue
        if block.body is not None and block.line not in skipped and not asserts(block.call, helpers):
            out.append(
                finding(
                    "TI001",
                    rel_path,
                    block.line,
                    f"test `{block.title or block.fn}` asserts nothing, so it cannot fail",
                    "Add `expect(...)`/`assert` calls on what the code under test returns or changes.",
                )
            )
        out.extend(always_true_findings(rel_path, block))
        out.extend(swallow_findings(rel_path, block, helpers))
        out.extend(replaced_unit_findings(rel_path, block))
    out.extend(mocked_module_findings(rel_path, root, lines))
    return sorted(out, key=lambda f: (f.line, f.rule_id))


def touched_test_titles(rel_path: str, text: str, lines: frozenset[int] | None) -> list[str]:
    """Titles of the test blocks that the changed lines touch."""
    return [b.title for b in find_blocks(parse(rel_path, text)) if b.is_test and b.title and b.touches(lines)]


def markers(root: SgNode, blocks: list[JsBlock]) -> list[Marker]:
    """Every skip/todo/only in the file: block modifiers, `x`/`f` prefixes, `{ skip: true }`, `t.skip()`."""
    found: list[Marker] = []
    for b in blocks:
        kind = _skip_kind(b) or _only_kind(b)
        if kind:
            found.append((kind, b.title, b.line))
        for key, at in _option_flags(b):
            found.append((f"{b.fn}({{ {key} }})", b.title, at))
    for call in calls_in(root):
        name = callee(call)
        recv, _, method = name.rpartition(".")
        if method in {"skip", "todo"} and recv in _CONTEXT_NAMES:
            owner = enclosing_test(blocks, call)
            found.append((f"{name}()", owner.title if owner else "", line(call)))
    return found


def _calls_skip(b: JsBlock) -> bool:
    return any(
        "." in callee(c) and callee(c).rpartition(".")[2] in {"skip", "todo"}
        for c in calls_in(b.call)
        if c != b.call
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


def _option_flags(b: JsBlock) -> Iterator[tuple[str, int]]:
    """node:test's options object: `test('x', { skip: true }, fn)`, `{ only: true }`, `{ todo: '...' }`."""
    for arg in b.args[1:]:
        if arg.kind() != "object":
            continue
        for pair in named(arg):
            key, value = pair.field("key"), pair.field("value")
            if pair.kind() != "pair" or key is None or value is None:
                continue
            name = key.text().strip("'\"")
            if name in {"skip", "todo", "only"} and value.text() not in {"false", "undefined", "null", "0"}:
                yield name, line(key)


def _added_markers(rel_path: str, root: SgNode, blocks: list[JsBlock], base: str | None) -> Iterator[Finding]:
    before: Counter[tuple[str, str]] = Counter()
    if base is not None:
        base_root = parse(rel_path, base)
        before.update((kind, title) for kind, title, _ in markers(base_root, find_blocks(base_root)))
    for kind, title, at in sorted(markers(root, blocks), key=lambda m: m[2]):
        if before[(kind, title)] > 0:
            before[(kind, title)] -= 1
            continue
        where = f"`{title}`" if title else "a test"
        if "only" in kind or kind in _ONLY_FNS:
            yield finding(
                "TI005", rel_path, at, f"{kind} added on {where}: only focused tests will run", _ONLY_HINT
            )
        else:
            yield finding(
                "TI004",
                rel_path,
                at,
                f"{kind} added on {where}: the test no longer runs or counts",
                _SKIP_HINT,
            )
