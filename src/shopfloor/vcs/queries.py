"""What shopfloor asks git about a checkout: commits and trees by name, the checked-out branches, the
files git keeps for a worktree, and whether a worktree's `.git` really leads into the project."""

from __future__ import annotations

import contextlib
import functools
import re
import subprocess
from pathlib import Path

from shopfloor.vcs.process import GitError, agit, git


def rev_parse(cwd: Path, ref: str) -> str:
    return git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").stdout.strip()


async def resolve_commit(cwd: Path, ref: str) -> str:
    """The full commit id `ref` names, checked to exist (GitError otherwise)."""
    return (await agit(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")).stdout.strip()


def tidy(cwd: Path) -> None:
    """What git would otherwise do after some of shopfloor's commits (packing loose objects when there
    are many), once: `git maintenance run --auto`, best effort."""
    with contextlib.suppress(OSError, GitError):
        git(cwd, "maintenance", "run", "--auto", "--quiet", check=False)


async def head_tree(cwd: Path) -> str:
    """The id of the tree HEAD's commit holds."""
    return (await agit(cwd, "rev-parse", "--verify", "--quiet", "HEAD^{tree}")).stdout.strip()


def ref_exists(cwd: Path, ref: str) -> bool:
    return git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).ok


def current_branch(cwd: Path) -> str | None:
    """The checked-out branch's short name, or None on a detached HEAD."""
    result = git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return result.stdout.strip() or None if result.ok else None


def git_dir(checkout: Path) -> Path:
    """The git directory of the checkout whose top folder is `checkout` (a worktree's own one), read from
    its `.git` without starting git where it can be."""
    dot = checkout / ".git"
    if dot.is_dir():
        return dot
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = dot.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir: "):
            found = Path(text.removeprefix("gitdir: "))
            return found if found.is_absolute() else (checkout / found).resolve()
    return Path(git(checkout, "rev-parse", "--absolute-git-dir").stdout.strip())


def branch_holder(project: Path, branch: str) -> Path | None:
    """The checkout `branch` is checked out in, if any (what `checkouts()` says, read from git's files)."""
    own = git_dir(project)
    common = own
    with contextlib.suppress(OSError):
        common = Path((own / "commondir").read_text(encoding="utf-8").strip())
        common = common if common.is_absolute() else (own / common).resolve()
    wanted = f"ref: refs/heads/{branch}"
    if _head_of(common) == wanted:
        return common.parent if common.name == ".git" else project
    with contextlib.suppress(OSError):
        for admin in (common / "worktrees").iterdir():
            if _head_of(admin) == wanted:
                with contextlib.suppress(OSError):
                    return Path((admin / "gitdir").read_text(encoding="utf-8").strip()).parent
    return None


def _head_of(git_directory: Path) -> str:
    try:
        return (git_directory / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def git_path(cwd: Path, name: str) -> Path:
    """Where `name` (e.g. MERGE_HEAD, index, info/exclude) lives for the checkout at `cwd`."""
    raw = Path(git(cwd, "rev-parse", "--git-path", name).stdout.strip())
    return raw if raw.is_absolute() else cwd / raw


def checkouts(cwd: Path) -> dict[str, Path]:
    """Each checked-out branch (short name) and the worktree it is checked out in."""
    found: dict[str, Path] = {}
    listing = git(cwd, "worktree", "list", "--porcelain").stdout
    for record in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in record.splitlines() if line)
        branch = fields.get("branch", "")
        if branch.startswith("refs/heads/") and "worktree" in fields:
            found[branch.removeprefix("refs/heads/")] = Path(fields["worktree"])
    return found


def conflicted_files(cwd: Path) -> list[str]:
    out = git(cwd, "diff", "--name-only", "--diff-filter=U", check=False).stdout
    return [line for line in out.splitlines() if line]


@functools.cache
def git_version() -> tuple[int, int]:
    out = subprocess.run(["git", "version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)\.(\d+)", out)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


@functools.lru_cache(maxsize=32)
def _common_dir(project: Path) -> Path:
    """Where `project`'s repository keeps what its worktrees share (asked of git once per project)."""
    raw = Path(git(project, "rev-parse", "--git-common-dir").stdout.strip())
    return (raw if raw.is_absolute() else project / raw).resolve()


def check_worktree(worktree: Path, project: Path) -> None:
    """Refuse a task worktree whose `.git` file does not lead straight into `project`'s repository.

    Everything git reads for a worktree (its HEAD, index, config) lies in the directory that file
    names; a `.git` pointing anywhere else could hand shopfloor's own git calls a configuration nobody
    checked. Raises GitError.
    """
    dot_git = worktree / ".git"
    if dot_git.is_symlink() or not dot_git.is_file():
        raise GitError(("worktree",), 1, f"{dot_git} is not the file a git worktree keeps")
    first = dot_git.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    line = first[0] if first else ""
    if not line.startswith("gitdir:"):
        raise GitError(("worktree",), 1, f"{dot_git} does not name a git directory")
    named = Path(line.removeprefix("gitdir:").strip())
    gitdir = (named if named.is_absolute() else worktree / named).resolve()
    common = _common_dir(project.resolve())
    if gitdir.parent != common / "worktrees":
        raise GitError(
            ("worktree",), 1, f"{dot_git} points at {gitdir}, outside {common / 'worktrees'}: refused"
        )
