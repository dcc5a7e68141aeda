"""Plain git for tests that need a real repository: a throwaway identity, and a failure fails the test."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ("-c", "user.name=Test User", "-c", "user.email=test@example.com")


def git_out(cwd: Path, *args: str) -> str:
    """Run git as a user would and return its stdout as it printed it."""
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def git_code(cwd: Path, *args: str) -> int:
    """Run git as a user would and return its exit code."""
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True).returncode
