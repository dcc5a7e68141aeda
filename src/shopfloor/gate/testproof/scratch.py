"""A scratch copy of a task's tree for mutants.

Mutants are written into the copy, never into the task's tree. The copy holds the tree's tracked and
untracked (not ignored) files; installed dependency folders are linked, not copied.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path, PurePosixPath

from shopfloor.gate.testproof.changes import git


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
