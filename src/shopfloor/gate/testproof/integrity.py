"""Test-integrity check over a change: the added and changed tests, judged by the TI rules."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from shopfloor.gate.findings import Finding
from shopfloor.gate.testfiles import is_test_path, test_language
from shopfloor.gate.testproof.changes import ChangedFile, base_text, changed_files
from shopfloor.gate.testproof.js_tests import check_js_test
from shopfloor.gate.testproof.python_tests import check_python_test
from shopfloor.vcs import resolve_commit


class IntegrityReport(BaseModel):
    """What the integrity check looked at and what it found."""

    base_commit: str | None = None
    files: list[str]
    """Test modules checked, relative to the tree."""
    findings: list[Finding]

    @property
    def high(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "high"]

    @property
    def passed(self) -> bool:
        """No high-severity finding: the medium ones (a mocked unit) are review items."""
        return not self.high


def check_test_source(
    rel_path: str,
    text: str,
    *,
    lines: frozenset[int] | None = None,
    base: str | None = None,
    tree: Path | None = None,
) -> list[Finding]:
    """Findings for one test module's text; `lines` limits them to changed tests, `base` is its old text.

    With `tree`, asserting helpers imported from the project's test modules count as assertions.
    """
    language = test_language(rel_path)
    if language == "python":
        reader = None if tree is None else partial(read_test_module, tree)
        return check_python_test(rel_path, text, lines=lines, base=base, read_module=reader)
    if language == "js":
        return check_js_test(rel_path, text, lines=lines, base=base)
    return []


async def check_test_integrity(
    tree: Path,
    *,
    base_ref: str | None = None,
    files: Sequence[Path | str] | None = None,
    known: list[ChangedFile] | None = None,
) -> IntegrityReport:
    """Check the test modules a change added or changed since `base_ref`, or the given `files`.

    With `base_ref`, only tests touching changed lines are judged and a skip is reported only when the
    change added it. With `files` and no `base_ref`, every test in those files is judged as new.
    `known`: the change, when the caller has read it already (then `base_ref` is a commit id).
    """
    tree = tree.resolve()
    changed: dict[str, ChangedFile] = {}
    commit: str | None = None
    if base_ref is not None:
        commit = base_ref if known is not None else await resolve_commit(tree, base_ref)
        changed = {c.path: c for c in (known if known is not None else await changed_files(tree, commit))}
    if files is not None:
        wanted = [_relative(tree, f) for f in files]
    else:
        wanted = [p for p in changed if test_language(p) is not None]
    findings: list[Finding] = []
    checked: list[str] = []
    for rel in wanted:
        path = tree / rel
        if test_language(rel) is None or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if commit is None:
            lines, base = None, None
        elif rel in changed:
            entry = changed[rel]
            lines = None if entry.added else entry.lines
            base = None if entry.added else await base_text(tree, commit, rel)
        else:
            continue  # unchanged since the base: nothing of it was added or changed
        checked.append(rel)
        findings.extend(check_test_source(rel, text, lines=lines, base=base, tree=tree))
    return IntegrityReport(base_commit=commit, files=checked, findings=findings)


def read_test_module(tree: Path, rel_path: str) -> str | None:
    """A test-side module's text (tests/, conftest, test_*.py), never the code under test."""
    if not is_test_path(rel_path) or ".." in PurePosixPath(rel_path).parts:
        return None
    try:
        return (tree / rel_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _relative(tree: Path, file: Path | str) -> str:
    path = Path(file)
    if path.is_absolute():
        path = path.resolve().relative_to(tree)
    return path.as_posix()
