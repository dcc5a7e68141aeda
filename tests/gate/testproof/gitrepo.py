"""Small real git repositories for the testproof tests, made with plain git."""

from __future__ import annotations

from pathlib import Path

from tests.gitcmd import git_out


def git(cwd: Path, *args: str) -> str:
    """Run git with a throwaway identity; fail the test when git fails."""
    return git_out(cwd, *args)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def init_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository on branch main whose first commit holds `files`."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, {".gitignore": ".venv/\nnode_modules/\n__pycache__/\n", **files})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def worktrees(repo: Path) -> list[str]:
    """Paths of the repository's worktrees, main one first, as git lists them."""
    out = git(repo, "worktree", "list", "--porcelain")
    return [line.removeprefix("worktree ") for line in out.splitlines() if line.startswith("worktree ")]


def marked_line(text: str, marker: str) -> int:
    """1-based number of the first line containing `marker`: fixtures mark where a finding must point."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if marker in line)
