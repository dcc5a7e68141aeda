"""The first commit of a project shopfloor makes a repository of: a `.gitignore` first, and nothing that
looks like a secret or an installed dependency, so a `.env` or `node_modules` never lands in history.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from shopfloor.vcs import git

GITIGNORE = """\
# Written by shopfloor when it made this folder a git repository; edit it freely.
# Secrets
.env
.env.*
!.env.example
!.env.sample
*.pem
*.key
# Installed dependencies and caches
node_modules/
.venv/
venv/
__pycache__/
*.pyc
.pytest_cache/
.mypy_cache/
.ruff_cache/
.tox/
# Build output
dist/
build/
"""
_SECRET_NAMES = (
    ".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_ed25519*", "id_ecdsa*",
    ".npmrc", ".pypirc", ".netrc", "credentials*", "secrets.*", "*.secret", "*.secrets",
)  # fmt: skip
_SECRET_EXAMPLES = (".example", ".sample", ".template", ".dist")
_DEPENDENCY_DIRS = frozenset(
    {
        "node_modules", ".venv", "venv", "__pycache__", "bower_components", ".tox", "site-packages",
        ".pytest_cache", ".mypy_cache", ".ruff_cache", ".gradle", ".next",
    }
)  # fmt: skip


@dataclass
class FirstCommit:
    committed: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    """Files that look like secrets, and dependency folders (one entry each), not committed."""
    wrote_gitignore: bool = False

    def describe(self) -> str:
        shown = ", ".join(self.committed[:8]) + (
            f" and {len(self.committed) - 8} more" if len(self.committed) > 8 else ""
        )
        said = f"made a git repository here and committed {len(self.committed)} file(s)" + (
            f" ({shown})" if self.committed else ""
        )
        if self.wrote_gitignore:
            said += "; wrote a .gitignore for secrets and dependencies"
        if self.left_out:
            said += f"; left out as secrets or dependencies: {', '.join(self.left_out)}"
        return said


def left_out_reason(path: str) -> str | None:
    """'secret' or 'dependency' for a path that must not be committed unasked, else None."""
    parts = path.split("/")
    if any(p in _DEPENDENCY_DIRS for p in parts[:-1]):
        return "dependency"
    name = parts[-1]
    if name.endswith(_SECRET_EXAMPLES):
        return None
    if any(fnmatch(name, pattern) for pattern in _SECRET_NAMES):
        return "secret"
    return None


def first_commit(project: Path, *, made_repo: bool) -> FirstCommit:
    """Commit the project's files as the repository's first commit, leaving secrets and dependencies out."""
    result = FirstCommit()
    gitignore = project / ".gitignore"
    if made_repo and not gitignore.exists():
        gitignore.write_text(GITIGNORE, encoding="utf-8")
        result.wrote_gitignore = True
    listed = git(project, "ls-files", "--others", "--exclude-standard", "-z").stdout.split("\0")
    dirs_left: set[str] = set()
    for path in filter(None, listed):
        why = left_out_reason(path)
        if why is None:
            result.committed.append(path)
        elif why == "dependency":
            parts = path.split("/")
            top = next(i for i, p in enumerate(parts) if p in _DEPENDENCY_DIRS)
            dirs_left.add("/".join(parts[: top + 1]) + "/")
        else:
            result.left_out.append(path)
    ignored = git(
        project, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"
    ).stdout.split("\0")
    for path in filter(None, ignored):  # what the .gitignore keeps out: say so when it looks like these
        why = left_out_reason(path)
        if why == "dependency":
            dirs_left.add(path.rstrip("/") + "/")
        elif why == "secret":
            result.left_out.append(path)
    result.left_out = sorted(dirs_left) + sorted(result.left_out)
    if result.committed:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".paths", delete=False) as listing:
            listing.write("\0".join(result.committed))
        try:
            git(
                project,
                "add",
                f"--pathspec-from-file={listing.name}",
                "--pathspec-file-nul",
                env={"GIT_LITERAL_PATHSPECS": "1"},
            )
        finally:
            Path(listing.name).unlink(missing_ok=True)
    git(project, "commit", "-q", "--no-verify", "--allow-empty", "-m", "Initial commit", identity=True)
    return result
