"""The git tree id of a working tree as it stands, uncommitted and untracked files included."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from shopfloor.layout import ORCHESTRATOR_DIR
from shopfloor.vcs import GitError, agit, git

# Harness state (markers, the task queue) lives here; writing a verdict must not change the hash.
EXCLUDED = ORCHESTRATOR_DIR
_WHERE = (
    "rev-parse",
    "--show-toplevel",
    "--path-format=absolute",
    "--git-path",
    "index",
    "--git-path",
    "info/exclude",
)


async def tree_hash(tree: Path) -> str:
    """Hash the tree as `git add -A` would see it, in a throwaway index, so the real index is untouched.

    Outside a git repository a throwaway repository is used, so any directory can be hashed.
    """
    tree = tree.resolve()
    with tempfile.TemporaryDirectory(prefix="shopfloor-treehash-") as tmp:
        index = Path(tmp) / "index"
        try:
            where = (await agit(tree, *_WHERE)).stdout.splitlines()
            workdir, real_index, exclude = (Path(line.strip()) for line in where[:3])
            env = {"GIT_INDEX_FILE": str(index)}
            if real_index.is_file():
                # Starting from the real index lets git skip re-hashing files whose stat data match.
                shutil.copyfile(real_index, index)
            take_out = _may_hold_harness_state(workdir, index, exclude)
        except (GitError, ValueError):
            env = {"GIT_INDEX_FILE": str(index), "GIT_DIR": f"{tmp}/git", "GIT_WORK_TREE": str(tree)}
            await agit(tree, "init", "-q", env=env)
            workdir, take_out = tree, True
        await agit(workdir, "add", "-A", "--", ".", env=env)
        if take_out:
            await agit(workdir, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", EXCLUDED, env=env)
        out = (await agit(workdir, "write-tree", env=env)).stdout
        found = re.findall(r"^[0-9a-f]{40,64}$", out, re.MULTILINE)
        if not found:
            raise GitError(("write-tree",), 0, f"printed no tree id: {out.strip()[-300:]}")
        return str(found[-1])


def commit_tree(repo: Path, ref: str) -> str:
    """The tree of commit `ref` as `tree_hash` sees it checked out: without the harness folder, which a
    project may track (a committed task queue) and the gate's hash always leaves out."""
    tree = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{tree}}").stdout.strip()
    entries = git(repo, "ls-tree", "-z", tree).stdout.split("\0") if tree else []
    kept = [e for e in entries if e and e.split("\t", 1)[1] != EXCLUDED]
    if len(kept) == len([e for e in entries if e]):
        return tree
    # The same top level less that one folder: a tree object made from the others (no index involved).
    return git(repo, "mktree", "-z", stdin="".join(f"{e}\0" for e in kept)).stdout.strip()


def index_may_list_harness_state(index: Path) -> bool:
    """Whether a git index may list files of the harness folder (False only when it surely does not)."""
    # Paths are stored as text (front-compressed in index v4, so look for the name without its dot).
    try:
        return EXCLUDED.lstrip(".").encode() + b"/" in index.read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True


def _may_hold_harness_state(workdir: Path, index: Path, exclude: Path) -> bool:
    """Whether the index may list harness state after `git add -A`: some is tracked already, or the folder
    is there and the repository does not exclude it (shopfloor excludes it in the projects it runs)."""
    if index_may_list_harness_state(index):
        return True
    if not (workdir / EXCLUDED).exists():
        return False
    try:
        listed = {line.strip().strip("/") for line in exclude.read_text(encoding="utf-8").splitlines()}
    except (OSError, UnicodeDecodeError):
        return True
    return EXCLUDED not in listed
