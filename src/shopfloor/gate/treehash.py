"""The git tree id of a working tree as it stands, uncommitted and untracked files included."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from shopfloor.layout import ORCHESTRATOR_DIR
from shopfloor.vcs import GitError, agit

# Harness state (markers, the task queue) lives here; writing a verdict must not change the hash.
EXCLUDED = ORCHESTRATOR_DIR


async def tree_hash(tree: Path) -> str:
    """Hash the tree as `git add -A` would see it, in a throwaway index, so the real index is untouched.

    Outside a git repository a throwaway repository is used, so any directory can be hashed.
    """
    tree = tree.resolve()
    with tempfile.TemporaryDirectory(prefix="shopfloor-treehash-") as tmp:
        index = Path(tmp) / "index"
        try:
            top = (await agit(tree, "rev-parse", "--show-toplevel")).stdout.strip()
            real_index = (
                await agit(tree, "rev-parse", "--path-format=absolute", "--git-path", "index")
            ).stdout
            env = {"GIT_INDEX_FILE": str(index)}
            src = Path(real_index.strip())
            if src.is_file():
                # Starting from the real index lets git skip re-hashing files whose stat data match.
                shutil.copyfile(src, index)
            workdir = Path(top)
        except GitError:
            env = {"GIT_INDEX_FILE": str(index), "GIT_DIR": f"{tmp}/git", "GIT_WORK_TREE": str(tree)}
            await agit(tree, "init", "-q", env=env)
            workdir = tree
        await agit(workdir, "add", "-A", "--", ".", env=env)
        await agit(workdir, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", EXCLUDED, env=env)
        out = (await agit(workdir, "write-tree", env=env)).stdout
        found = re.findall(r"^[0-9a-f]{40,64}$", out, re.MULTILINE)
        if not found:
            raise GitError(("write-tree",), 0, f"printed no tree id: {out.strip()[-300:]}")
        return str(found[-1])
