"""Fixture projects and real git repositories for the gate tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
needs_node = pytest.mark.skipif(
    shutil.which("node") is None, reason="the Node fixture's checks need node and npm"
)
PY_VARIANTS = sorted(p.name for p in (FIXTURES / "py_vuln").iterdir())
JS_VARIANTS = sorted(p.name for p in (FIXTURES / "js_vuln").iterdir())


def make_project(dest: Path, kind: str, variant: str | None = None) -> Path:
    """Copy the clean `kind` fixture ('py' or 'js') to `dest`, with a vulnerable variant laid over it."""
    shutil.copytree(FIXTURES / f"{kind}_clean", dest)
    if variant:
        overlay(dest, kind, variant)
    if kind == "js":
        # The Node fixture declares packages for the security checklist to read, but its own lint and
        # tests use only Node's built-ins: an empty node_modules stands for "installed".
        (dest / "node_modules").mkdir(exist_ok=True)
        (dest / ".gitignore").write_text("node_modules/\n")
    return dest


def overlay(dest: Path, kind: str, variant: str) -> None:
    shutil.copytree(FIXTURES / f"{kind}_vuln" / variant, dest, dirs_exist_ok=True)


def planted(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, rule id) of every `VULN: rule` marker in the project."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".js"}:
            for n, line in enumerate(path.read_text().splitlines(), 1):
                for rule in re.findall(r"VULN: ([\w-]+)", line):
                    out.append((path.relative_to(root).as_posix(), n, rule))
    return out


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Gate Test", "-c", "user.email=gate@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def init_repo(repo: Path) -> str:
    """Make `repo` a git repository with everything in it committed; returns the commit id."""
    git(repo, "init", "-q", "-b", "main")
    return commit_all(repo, "base")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
