"""Commits as bytes: git bundles carry a task's snapshot to a machine without the repository, and its new
commits back; the project's Claude Code configuration travels beside them as files. Plain git and files,
no cluster involved: the Ray executor ships what these functions make.
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


CONFIG_PATHS = (".claude", ".mcp.json")
"""What configures a project's agents (agents, skills, settings, hook scripts; MCP servers)."""
ConfigFile = tuple[str, int, bytes]
"""A path relative to the project, its permission bits, its content."""


def collect_configuration(project: Path) -> tuple[ConfigFile, ...]:
    """The project's Claude Code configuration as it is in the checkout the run reads it from, so a
    machine without that checkout configures agents, and counts approvals, exactly as it does."""
    found: list[ConfigFile] = []
    for name in CONFIG_PATHS:
        top = project / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if path.is_file() and not path.is_symlink():
                rel = path.relative_to(project).as_posix()
                found.append((rel, path.stat().st_mode & 0o777, path.read_bytes()))
    return tuple(found)


def write_configuration(repo: Path, files: tuple[ConfigFile, ...]) -> None:
    """Put what `collect_configuration` found into `repo`'s own folder (a clone with no checkout)."""
    for rel, mode, data in files:
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)


def user_identity(repo: Path) -> tuple[str, str] | None:
    """The repository's configured committer, if it has one (a worker's clone commits as the user would)."""
    try:
        name = git(repo, "config", "user.name").stdout.strip()
        email = git(repo, "config", "user.email").stdout.strip()
    except GitError:
        return None
    return (name, email) if name and email else None
