"""What a task changed: the diff between its base commit and the tree the gate hashed."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio

from shopfloor.vcs import GitError, agit

A = TypeVar("A")
B = TypeVar("B")

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffEntry:
    status: str
    """git's letter: A added, M modified, D deleted, R renamed, T type changed, C copied."""
    path: str
    old_path: str | None = None
    """The path before a rename or copy."""


async def diff_entries(tree: Path, base: str, head_tree: str) -> list[DiffEntry]:
    """Files that differ between `base` and the tree object `head_tree`, renames detected."""
    out = (await agit(tree, "diff", "--name-status", "-M", "-z", "--no-ext-diff", base, head_tree)).stdout
    fields = out.split("\0")
    entries: list[DiffEntry] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            entries.append(DiffEntry(status, fields[i + 2], old_path=fields[i + 1]))
            i += 3
        else:
            entries.append(DiffEntry(status, fields[i + 1]))
            i += 2
    return entries


async def changed_lines(tree: Path, base: str, head_tree: str) -> dict[str, set[int]]:
    """Line numbers (in the new version) that were added or changed, per file."""
    out = (await agit(tree, "diff", "-U0", "--no-color", "--no-ext-diff", "-M", base, head_tree)).stdout
    lines: dict[str, set[int]] = {}
    current: set[int] | None = None
    for row in out.splitlines():
        if row.startswith("+++ "):
            target = row[4:]
            current = None if target == "/dev/null" else lines.setdefault(target.removeprefix("b/"), set())
        elif current is not None and (m := _HUNK.match(row)):
            start, count = int(m.group(1)), int(m.group(2) or "1")
            current.update(range(start, start + count))
    return lines


async def file_diff(tree: Path, base: str, head_tree: str, path: str, old_path: str | None = None) -> str:
    paths = [old_path, path] if old_path else [path]
    try:
        return (
            await agit(tree, "diff", "--no-color", "--no-ext-diff", "-M", base, head_tree, "--", *paths)
        ).stdout
    except GitError as exc:
        return str(exc)


async def show_file(tree: Path, ref: str, path: str) -> str | None:
    """A file's content at `ref` (a commit or tree id), or None when it is not there."""
    try:
        return (await agit(tree, "show", f"{ref}:{path}")).stdout
    except GitError:
        return None


@dataclass(frozen=True)
class Change:
    """What a task changed, read once for the gate's judgments: git's entries (paths from the
    repository's top), and the files that are still there and their changed lines (paths from the tree)."""

    entries: list[DiffEntry]
    files: list[str]
    lines: dict[str, set[int]]
    top: bool
    """The tree is the repository's top, so both name paths alike."""


async def read_change(tree: Path, base: str | None, head_tree: str) -> Change | None:
    """The change from `base` to the tree object `head_tree` (None without a base): two git calls at once."""
    if base is None:
        return None
    top = (tree / ".git").exists()
    prefix = "" if top else (await agit(tree, "rev-parse", "--show-prefix")).stdout.strip()
    entries, changed = await _both(diff_entries(tree, base, head_tree), changed_lines(tree, base, head_tree))
    files = [e.path.removeprefix(prefix) for e in entries if e.status != "D" and e.path.startswith(prefix)]
    lines = {p.removeprefix(prefix): n for p, n in changed.items() if p.startswith(prefix)}
    return Change(entries, files, lines, top)


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    results: dict[int, Any] = {}

    async def one(i: int, it: Awaitable[Any]) -> None:
        results[i] = await it

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, 0, first)
        tg.start_soon(one, 1, second)
    return results[0], results[1]
