"""The git tree id of a working tree as it stands, uncommitted and untracked files included."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from shopfloor.tools.process import ProcessResult, run_process, scrub_env

# Harness state (markers, the task queue) lives here; writing a verdict must not change the hash.
EXCLUDED = ".orchestrator"
_GIT_TIMEOUT_S = 120.0


class GitError(RuntimeError):
    """A git command the gate depends on failed."""


async def git(tree: Path, *args: str, env: dict[str, str] | None = None) -> ProcessResult:
    """Run git in `tree` with the scrubbed environment; raise GitError on a non-zero exit."""
    result = await run_process(
        ["git", "-c", "core.quotepath=off", *args], cwd=tree, timeout_s=_GIT_TIMEOUT_S, env=env or scrub_env()
    )
    if result.exit_code != 0:
        raise GitError(f"git {' '.join(args)} failed ({result.exit_code}): {result.output.strip()[-500:]}")
    return result


async def tree_hash(tree: Path) -> str:
    """Hash the tree as `git add -A` would see it, in a throwaway index, so the real index is untouched.

    Outside a git repository a throwaway repository is used, so any directory can be hashed.
    """
    tree = tree.resolve()
    with tempfile.TemporaryDirectory(prefix="shopfloor-treehash-") as tmp:
        index = Path(tmp) / "index"
        try:
            top = (await git(tree, "rev-parse", "--show-toplevel")).output.strip()
            real_index = (
                await git(tree, "rev-parse", "--path-format=absolute", "--git-path", "index")
            ).output
            env = scrub_env(extra={"GIT_INDEX_FILE": str(index)})
            src = Path(real_index.strip())
            if src.is_file():
                # Starting from the real index lets git skip re-hashing files whose stat data match.
                shutil.copyfile(src, index)
            workdir = Path(top)
        except GitError:
            env = scrub_env(
                extra={"GIT_INDEX_FILE": str(index), "GIT_DIR": f"{tmp}/git", "GIT_WORK_TREE": str(tree)}
            )
            await git(tree, "init", "-q", env=env)
            workdir = tree
        await git(workdir, "add", "-A", "--", ".", env=env)
        await git(workdir, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", EXCLUDED, env=env)
        out = (await git(workdir, "write-tree", env=env)).output
        found = re.findall(r"^[0-9a-f]{40,64}$", out, re.MULTILINE)
        if not found:
            raise GitError(f"git write-tree printed no tree id: {out.strip()[-300:]}")
        return str(found[-1])
