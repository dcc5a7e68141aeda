"""A scratch copy of a task's tree for mutants, and the line tracer that tells which lines its tests reach.

Mutants are written into the copy, never into the task's tree. The copy holds the tree's tracked and
untracked (not ignored) files; installed dependency folders are linked, not copied.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path, PurePosixPath

from shopfloor.gate.testproof.changes import git

TRACE_PLUGIN = "_shopfloor_linetrace"
"""The pytest plugin module written into the copy (its root is on the tests' import path)."""
TRACE_FILES_VAR = "SHOPFLOOR_TRACE_FILES"
TRACE_OUT_VAR = "SHOPFLOOR_TRACE_OUT"

# Runs inside the project's own interpreter, which need not have shopfloor: standard library only.
_PLUGIN_SOURCE = '''\
"""Records which lines of chosen files the tests execute (written by shopfloor's mutation check)."""
import json
import os
import sys
import threading

_FILES = set(json.loads(os.environ.get("SHOPFLOOR_TRACE_FILES", "[]")))
_HITS = {}


def _local(frame, event, arg):
    if event == "line":
        _HITS.setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
    return _local


def _global(frame, event, arg):
    if frame.f_code.co_filename in _FILES:
        _HITS.setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
        return _local
    return None


sys.settrace(_global)
threading.settrace(_global)


def pytest_unconfigure(config):
    sys.settrace(None)
    out = os.environ.get("SHOPFLOOR_TRACE_OUT")
    if out:
        with open(out, "w") as fh:
            json.dump({k: sorted(v) for k, v in _HITS.items()}, fh)
'''


@contextlib.asynccontextmanager
async def scratch_copy(tree: Path, share_dirs: Sequence[str]) -> AsyncIterator[Path]:
    """A temporary copy of `tree`'s working files, removed however the block ends."""
    tmp = Path(tempfile.mkdtemp(prefix="shopfloor-mutants-"))
    dest = tmp / "tree"
    try:
        listing = await git(tree, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for rel in sorted(set(filter(None, listing.split("\0")))):
            parts = PurePosixPath(rel).parts
            if "__pycache__" in parts or rel.endswith(".pyc"):
                continue  # stale bytecode could hide a mutant that keeps the source's size
            src, target = tree / rel, dest / rel
            if src.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(src.readlink())
            elif src.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
        dest.mkdir(parents=True, exist_ok=True)
        for name in share_dirs:
            if (tree / name).is_dir() and not (dest / name).exists():
                (dest / name).symlink_to(tree / name, target_is_directory=True)
        yield dest
    finally:
        if dest.is_dir():
            for child in dest.iterdir():
                if child.is_symlink():
                    child.unlink()  # links into the tree go first, so removal cannot reach through them
        shutil.rmtree(tmp, ignore_errors=True)


def install_tracer(copy: Path) -> None:
    (copy / f"{TRACE_PLUGIN}.py").write_text(_PLUGIN_SOURCE)


def trace_env(copy: Path, files: Sequence[str], out: Path) -> dict[str, str]:
    """Environment that makes the tracer watch `files` (relative to the copy) and write to `out`."""
    watched = [str(copy / f) for f in files] + [str((copy / f).resolve()) for f in files]
    return {TRACE_FILES_VAR: json.dumps(sorted(set(watched))), TRACE_OUT_VAR: str(out)}


def read_trace(copy: Path, out: Path) -> dict[str, set[int]] | None:
    """Executed lines per file relative to the copy, or None when the tracer wrote nothing."""
    try:
        raw = json.loads(out.read_text())
    except (OSError, ValueError):
        return None
    hits: dict[str, set[int]] = {}
    roots = [str(copy) + os.sep, str(copy.resolve()) + os.sep]
    for path, lines in raw.items():
        root = next((r for r in roots if path.startswith(r)), None)
        if root is not None:
            hits.setdefault(path[len(root) :].replace(os.sep, "/"), set()).update(lines)
    return hits
