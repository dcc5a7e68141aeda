"""Which test files a change added or modified, and which of their lines, read from git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shopfloor.gate.gitdiff import DiffEntry
from shopfloor.vcs import agit

_GIT_TIMEOUT_S = 60.0
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class ChangedFile:
    """A file present in the tree that differs from the base: its path and the lines that changed."""

    path: str
    """Relative to the tree, with forward slashes."""
    added: bool
    """New in the tree (untracked or added since the base): every line counts as changed."""
    lines: frozenset[int]
    """1-based line numbers in the tree's version that were added or changed."""


async def git(tree: Path, *args: str) -> str:
    """One git command in `tree`, run from the tree's own folder; its output (GitError when it fails)."""
    return (await agit(tree, "-C", str(tree), *args, timeout_s=_GIT_TIMEOUT_S)).stdout


async def changed_files(tree: Path, base_ref: str) -> list[ChangedFile]:
    """Files in the tree's working copy that are new or differ from `base_ref` (deleted ones left out)."""
    out: dict[str, ChangedFile] = {}
    status = await git(tree, "diff", "--relative", "--no-renames", "--name-status", "-z", base_ref, "--")
    fields = [f for f in status.split("\0") if f]
    modified: list[str] = []
    for code, path in zip(fields[::2], fields[1::2], strict=False):
        if code.startswith("A"):
            out[path] = _whole_file(tree, path)
        elif not code.startswith("D"):
            modified.append(path)
    untracked = await git(tree, "ls-files", "--others", "--exclude-standard", "-z")
    for path in filter(None, untracked.split("\0")):
        out[path] = _whole_file(tree, path)
    for path in modified:
        diff = await git(
            tree,
            "diff",
            "--relative",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            "-U0",
            base_ref,
            "--",
            path,
        )
        out[path] = ChangedFile(path, added=False, lines=frozenset(hunk_lines(diff)))
    return sorted(out.values(), key=lambda c: c.path)


def changed_from_diff(tree: Path, entries: list[DiffEntry], lines: dict[str, set[int]]) -> list[ChangedFile]:
    """`changed_files` for a tree committed whole, from the diff the gate read already (paths relative to
    `tree`): a renamed or copied file counts as new, as git shows it without rename detection."""
    out = [
        _whole_file(tree, e.path)
        if e.status in "ARC"
        else ChangedFile(e.path, False, frozenset(lines.get(e.path, ())))
        for e in entries
        if e.status != "D"
    ]
    return sorted(out, key=lambda c: c.path)


def hunk_lines(diff: str) -> set[int]:
    """New-side line numbers that a zero-context unified diff adds or changes."""
    lines: set[int] = set()
    for row in diff.splitlines():
        m = _HUNK.match(row)
        if m:
            start, count = int(m.group(1)), int(m.group(2) or "1")
            lines.update(range(start, start + count))
    return lines


async def base_text(tree: Path, base_ref: str, rel_path: str) -> str | None:
    """The file's content at `base_ref`, or None when it did not exist there."""
    prefix = (await git(tree, "rev-parse", "--show-prefix")).strip()
    res = await agit(tree, "cat-file", "-p", f"{base_ref}:{prefix}{rel_path}", check=False)
    return res.stdout if res.ok else None


def _whole_file(tree: Path, rel_path: str) -> ChangedFile:
    try:
        count = (tree / rel_path).read_text(encoding="utf-8", errors="replace").count("\n") + 1
    except OSError:
        count = 0
    return ChangedFile(rel_path, added=True, lines=frozenset(range(1, count + 1)))
