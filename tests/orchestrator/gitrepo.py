"""Helpers for tests that need a real git repository: plain git, independent of shopfloor's runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitcmd import git_code, git_out


def sh(cwd: Path, *args: str) -> str:
    """Run git as a user would (with an identity) and return stdout, stripped; fail the test on error."""
    return git_out(cwd, *args).strip()


def sh_may_fail(cwd: Path, *args: str) -> int:
    """Run git as a user would and return its exit code."""
    return git_code(cwd, *args)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def isolate_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global or system git config: no identity, no hooks path, no signing from the machine."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
