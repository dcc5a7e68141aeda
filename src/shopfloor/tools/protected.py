"""What no agent may change or see, whichever tool it uses: the rules the file tools and the sandbox share.

Inside a workspace: the git metadata (the `.git` folder, or a worktree's `.git` file), shopfloor's and
Claude Code's configuration, and shopfloor's own records under `.orchestrator/` (all but the folder the
agent writes its marker to). Outside it: the user's credential stores and shell history.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from pathlib import Path, PurePosixPath

GIT_METADATA = ".git"
CONFIG_NAMES = ("shopfloor.toml", ".shopfloor", ".claude", ".mcp.json")
"""shopfloor's configuration, agent and skill files; Claude Code's settings, agents, skills, hooks and
the project's MCP servers (each a command this machine would run)."""
HARNESS_DIR = ".orchestrator"
MARKER_DIR = "complete"
"""The one folder of `.orchestrator/` an agent writes to: its completion marker."""

# Credential stores and history files under the home directory. The file tools refuse them and the
# sandbox hides them, even when a workspace is the home directory itself.
HOME_SECRETS = (
    ".ssh", ".aws", ".gnupg", ".azure", ".kube", ".docker", ".oci", ".password-store", ".vault-token",
    ".config/gcloud", ".config/gh", ".config/hub", ".config/git/credentials", ".config/op",
    ".config/rclone", ".config/doctl", ".terraform.d", ".local/share/keyrings", ".cargo/credentials",
    ".cargo/credentials.toml", ".netrc", ".git-credentials", ".pypirc", ".pgpass", ".npmrc", ".yarnrc.yml",
    ".gem/credentials", ".m2/settings-security.xml", ".claude/.credentials.json", ".claude.json",
    ".codex/auth.json", ".bash_history", ".zsh_history", ".zhistory", ".histfile", ".sh_history",
    ".python_history", ".psql_history", ".mysql_history", ".sqlite_history", ".node_repl_history",
    ".rediscli_history", ".lesshst", ".local/share/fish/fish_history",
)  # fmt: skip
# Files of the system that hold secrets and that a process running as root could read.
SYSTEM_SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd")
SSH_HOST_KEYS = Path("/etc/ssh")


def protection(rel: PurePosixPath | Path) -> str | None:
    """Why an agent may not write `rel` (a path relative to its workspace root), or None when it may."""
    parts = rel.parts
    if not parts:
        return None
    if parts[0] == GIT_METADATA:
        return "it is git metadata, which only shopfloor changes"
    if parts[0] in CONFIG_NAMES:
        return (
            "it is shopfloor's or Claude Code's configuration (settings, agents, skills, hooks, MCP servers)"
        )
    if parts[0] == HARNESS_DIR and (len(parts) < 2 or parts[1] != MARKER_DIR):
        if len(parts) == 1:
            return None  # the folder itself: creating it on the way to the marker folder is fine
        return "it is shopfloor's own record of the run"
    return None


def read_only_within(root: Path) -> list[tuple[Path, bool]]:
    """(path, writable) pairs to mount over a writable `root`, in order: what exists of the protected
    paths read-only, then the marker folder writable again (created here so it can be mounted)."""
    out: list[tuple[Path, bool]] = []
    for name in (GIT_METADATA, *CONFIG_NAMES):
        path = root / name
        if os.path.lexists(path):
            out.append((path, False))
    harness = root / HARNESS_DIR
    if harness.is_dir() and not harness.is_symlink():
        markers = harness / MARKER_DIR
        markers.mkdir(exist_ok=True)
        out.append((harness, False))
        if markers.is_dir() and not markers.is_symlink():
            out.append((markers, True))
    return out


def missing_protected(root: Path) -> list[str]:
    """The protected names (git metadata, configuration) that do not exist in `root` yet.

    The sandbox can only mount what exists read-only; one of these created from a command is removed
    again afterwards (`remove_created`), so it never configures a later run.
    """
    return [name for name in (GIT_METADATA, *CONFIG_NAMES) if not os.path.lexists(root / name)]


def remove_created(root: Path, names: list[str]) -> list[str]:
    """Remove whichever of `names` now exist in `root` (links themselves, never what they point to)."""
    removed = []
    for name in names:
        path = root / name
        if not os.path.lexists(path):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        removed.append(name)
    return removed


def git_metadata_dirs(root: Path) -> list[Path]:
    """The git directories a worktree keeps outside itself (its `.git` is a file naming them): they must
    stay readable, read-only, for `git status` and friends, even when they sit under the private /tmp."""
    dot_git = root / GIT_METADATA
    if dot_git.is_symlink() or not dot_git.is_file():
        return []
    try:
        line = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return []
    if not line.startswith("gitdir:"):
        return []
    gitdir = Path(line.removeprefix("gitdir:").strip())
    gitdir = (gitdir if gitdir.is_absolute() else root / gitdir).resolve()
    dirs = [gitdir]
    with contextlib.suppress(OSError):
        common = Path((gitdir / "commondir").read_text(encoding="utf-8").strip())
        dirs.append((common if common.is_absolute() else gitdir / common).resolve())
    return [d for d in dirs if d.is_dir()]


def home_dir() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError):  # no usable home directory: nothing there to protect
        return None


def is_secret_path(real: Path) -> bool:
    """True when `real` (already resolved) is a credential store in the home directory, or inside one."""
    home = home_dir()
    if home is None:
        return False
    return any(real == home / s or real.is_relative_to(home / s) for s in HOME_SECRETS)


def secret_paths_within(base: Path) -> list[Path]:
    """The credential stores that lie inside directory `base` (so a listing of it can leave them out)."""
    home = home_dir()
    if home is None:
        return []
    return [home / s for s in HOME_SECRETS if (home / s).is_relative_to(base)]


SECRETS_TTL_S = 5.0
"""How long a look at which secrets exist is reused: every sandboxed command asks, and a few dozen
file-system calls a command add up."""
_secrets_seen: tuple[str, float, list[tuple[str, bool, bool]]] | None = None


def secrets_to_hide() -> list[tuple[str, bool, bool]]:
    """(real path, is a folder, is empty) of the secret files and folders that exist here and that this
    process could read; looked up again when HOME changes or the last look is a few seconds old."""
    global _secrets_seen
    home = os.environ.get("HOME", "")
    now = time.monotonic()
    if _secrets_seen is not None and _secrets_seen[0] == home and now - _secrets_seen[1] < SECRETS_TTL_S:
        return _secrets_seen[2]
    found: list[str] = []
    real_home = home_dir()
    if real_home is not None:
        base = str(real_home)
        found += [p for s in HOME_SECRETS if os.path.lexists(p := f"{base}/{s}")]
    found += [p for p in SYSTEM_SECRETS if os.access(p, os.R_OK)]
    try:
        keys = [e.path for e in os.scandir(SSH_HOST_KEYS) if e.name.endswith("_key")]
    except OSError:
        keys = []
    found += [k for k in keys if os.access(k, os.R_OK)]
    hidden = []
    for path in found:
        real = os.path.realpath(path)
        try:
            info = os.stat(real)  # noqa: PTH116 (plain strings: this runs before every sandboxed command)
            is_dir = stat.S_ISDIR(info.st_mode)
            if is_dir:
                with os.scandir(real) as entries:
                    empty = next(entries, None) is None
            else:
                empty = info.st_size == 0
        except OSError:
            continue
        hidden.append((real, is_dir, empty))
    _secrets_seen = (home, now, hidden)
    return hidden
