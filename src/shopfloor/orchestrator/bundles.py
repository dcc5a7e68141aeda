"""Commits as bytes: git bundles carry a task's snapshot to a machine without the repository, and its new
commits back. Plain git, no cluster involved: the Ray executor ships what these functions make.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from shopfloor.layout import Layout
from shopfloor.orchestrator.worktrees import exclude_orchestrator_dir
from shopfloor.vcs import GitError, git


def make_bundle(repo: Path, refs: list[str], *, exclude: list[str] | tuple[str, ...] = ()) -> bytes | None:
    """A bundle of `refs` with their history, less what `exclude` reaches; None when that leaves nothing."""
    wanted = [f"^{e}" for e in exclude]
    if exclude and int(git(repo, "rev-list", "--count", *refs, *wanted).stdout.strip() or 0) == 0:
        return None
    with tempfile.TemporaryDirectory(prefix="shopfloor-bundle-") as tmp:
        path = Path(tmp) / "out.bundle"
        git(repo, "bundle", "create", "-q", str(path), *refs, *wanted)
        return path.read_bytes()


def fetch_bundle(repo: Path, data: bytes, refspecs: list[str]) -> None:
    """Take a bundle's commits into `repo`, updating refs as `refspecs` say (`+SRC:DST`)."""
    with tempfile.TemporaryDirectory(prefix="shopfloor-bundle-") as tmp:
        path = Path(tmp) / "in.bundle"
        path.write_bytes(data)
        git(repo, "fetch", "-q", "--no-tags", str(path), *refspecs)


def clone_bundle(data: bytes, target: Path, branch: str | None, identity: tuple[str, str] | None) -> Path:
    """A repository at `target` with every branch of the bundle (`branch` checked out, or none: task
    worktrees are added to it), run state excluded from its trees as in the user's checkout, and the
    user's git identity when one was given."""
    target.mkdir(parents=True, exist_ok=True)
    git(target, "init", "-q", "-b", "shopfloor-unborn")
    if identity is not None:
        git(target, "config", "user.name", identity[0])
        git(target, "config", "user.email", identity[1])
    fetch_bundle(target, data, ["+refs/heads/*:refs/heads/*"])
    if branch is not None:
        git(target, "checkout", "-q", branch)
    exclude_orchestrator_dir(target)
    Layout(target).marker_dir.mkdir(parents=True, exist_ok=True)
    return target


def user_identity(repo: Path) -> tuple[str, str] | None:
    """The repository's configured committer, if it has one (a worker's clone commits as the user would)."""
    try:
        name = git(repo, "config", "user.name").stdout.strip()
        email = git(repo, "config", "user.email").stdout.strip()
    except GitError:
        return None
    return (name, email) if name and email else None
