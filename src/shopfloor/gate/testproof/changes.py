"""Which test files a change added or modified, and which of their lines, read from git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from shopfloor.tools.process import run_process

Language = Literal["python", "js"]

_GIT_TIMEOUT_S = 60.0
_JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TEST_NAME = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_TEST_DIRS = {"tests", "test", "__tests__", "spec", "testing"}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class GitError(RuntimeError):
    """A git command that had to succeed did not."""


@dataclass(frozen=True)
class ChangedFile:
    """A file present in the tree that differs from the base: its path and the lines that changed."""

    path: str
    """Relative to the tree, with forward slashes."""
    added: bool
    """New in the tree (untracked or added since the base): every line counts as changed."""
    lines: frozenset[int]
    """1-based line numbers in the tree's version that were added or changed."""


def test_language(rel_path: str) -> Language | None:
    """The language of a test module by its name (test_*.py, *_test.py, *.test.ts, __tests__/*.js)."""
    p = PurePosixPath(rel_path.replace("\\", "/"))
    if p.suffix == ".py":
        return "python" if p.name.startswith("test_") or p.stem.endswith("_test") else None
    if p.suffix in _JS_SUFFIXES and (_JS_TEST_NAME.search(p.name) or "__tests__" in p.parts[:-1]):
        return "js"
    return None


def is_test_side(rel_path: str) -> bool:
    """Test modules and what supports them (conftest.py, files under tests/ or __tests__/)."""
    p = PurePosixPath(rel_path.replace("\\", "/"))
    return (
        test_language(rel_path) is not None or p.name == "conftest.py" or bool(_TEST_DIRS & set(p.parts[:-1]))
    )


async def git(tree: Path, *args: str, timeout_s: float = _GIT_TIMEOUT_S) -> str:
    """Run one git command in `tree` and return its output; GitError when it fails."""
    argv = ["git", "-c", "core.quotepath=off", "-C", str(tree), *args]
    res = await run_process(argv, cwd=tree, timeout_s=timeout_s)
    if res.exit_code != 0:
        why = "timed out" if res.timed_out else f"exit {res.exit_code}"
        raise GitError(f"git {' '.join(args)} failed ({why}): {res.output.strip()[-2000:]}")
    return res.output


async def resolve_commit(tree: Path, ref: str) -> str:
    """The full commit id `ref` names, checked to exist."""
    return (await git(tree, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")).strip()


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
    argv = ["git", "-C", str(tree), "cat-file", "-p", f"{base_ref}:{prefix}{rel_path}"]
    res = await run_process(argv, cwd=tree, timeout_s=_GIT_TIMEOUT_S)
    return res.output if res.exit_code == 0 else None


def _whole_file(tree: Path, rel_path: str) -> ChangedFile:
    try:
        count = (tree / rel_path).read_text(encoding="utf-8", errors="replace").count("\n") + 1
    except OSError:
        count = 0
    return ChangedFile(rel_path, added=True, lines=frozenset(range(1, count + 1)))
