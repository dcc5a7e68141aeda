"""The workspace an agent may touch: path confinement and the read-state behind Edit and Write."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shopfloor.tools.errors import ToolError

# Credential stores under the home directory that stay unreachable even when a workspace is the
# home directory itself (or contains it).
_SECRET_PATHS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".azure",
    ".kube",
    ".docker",
    ".config/gcloud",
    ".config/gh",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".pgpass",
)


class Workspace:
    """A root directory (plus optional extra directories) that every tool path must resolve into."""

    def __init__(self, root: Path, extra_dirs: Sequence[Path] = ()):
        self.root = root.resolve()
        self.extra_dirs = tuple(d.resolve() for d in extra_dirs)

    @property
    def allowed(self) -> tuple[Path, ...]:
        return (self.root, *self.extra_dirs)

    def contains(self, path: Path) -> bool:
        return any(path == d or path.is_relative_to(d) for d in self.allowed)

    def resolve(self, raw: str) -> Path:
        """Resolve `raw` (absolute, or relative to the root), following `..` and symlinks.

        Raises ToolError when the real location is outside the workspace or is a known secret store.
        """
        if not raw or not raw.strip():
            raise ToolError("Error: the path is empty. Pass an absolute path inside the workspace.")
        if "\x00" in raw:
            raise ToolError("Error: the path contains a NUL byte.")
        p = Path(raw).expanduser()
        if not p.is_absolute():
            p = self.root / p
        try:
            # Follows every symlink that exists, dangling ones included; a missing tail stays as written.
            real = p.resolve()
        except (OSError, RuntimeError) as err:  # a symlink loop, or a component we may not look at
            raise ToolError(f"Error: cannot resolve the path {p}: {err}") from err
        if not self.contains(real):
            shown = f"{p} (which resolves to {real})" if real != Path(os.path.normpath(p)) else str(p)
            raise ToolError(
                f"Error: access denied: {shown} is outside the workspace {self.root}. "
                "Only paths inside the workspace can be used."
            )
        if is_secret_path(real):
            raise ToolError(f"Error: access denied: {real} holds credentials and cannot be accessed.")
        return real


def is_secret_path(real: Path) -> bool:
    """True when `real` (already resolved) is a credential store in the home directory, or inside one."""
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):  # no usable home directory: nothing there to protect
        return False
    return any(real == home / s or real.is_relative_to(home / s) for s in _SECRET_PATHS)


def secret_paths_within(base: Path) -> list[Path]:
    """The credential stores that lie inside directory `base` (so a listing of it can leave them out)."""
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):
        return []
    return [home / s for s in _SECRET_PATHS if (home / s).is_relative_to(base)]


@dataclass(frozen=True)
class FileStamp:
    sha256: str
    mtime_ns: int
    full: bool
    """True when the last Read covered the whole file."""


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ReadState:
    """What the agent last saw of each file, so stale edits are refused."""

    def __init__(self) -> None:
        self._stamps: dict[Path, FileStamp] = {}

    def record(self, path: Path, data: bytes, *, full: bool) -> None:
        """Remember `data` as what the agent saw of `path`.

        A partial read of unchanged content keeps an earlier full read: reading the rest of a long
        file with `offset` must not undo the permission to edit it.
        """
        digest = file_digest(data)
        before = self._stamps.get(path)
        if not full and before is not None and before.full and before.sha256 == digest:
            full = True
        self._stamps[path] = FileStamp(digest, path.stat().st_mtime_ns, full)

    def forget(self, path: Path) -> None:
        self._stamps.pop(path, None)

    def get(self, path: Path) -> FileStamp | None:
        return self._stamps.get(path)

    def check_fresh(self, path: Path, data: bytes) -> None:
        """Refuse a change unless `path` was fully read and `data`, its bytes now, is what was read."""
        stamp = self._stamps.get(path)
        if stamp is None:
            raise ToolError(
                f"Error: {path} has not been read yet. Read it first (without offset/limit), "
                "then retry the change."
            )
        if not stamp.full:
            raise ToolError(
                f"Error: only part of {path} has been read (with offset/limit). Read the whole file "
                "first (without offset/limit), then retry the change."
            )
        # The content decides; a touched file with the same bytes is still what the agent saw.
        if stamp.sha256 != file_digest(data):
            raise ToolError(
                f"Error: {path} has changed on disk since it was last read (by a person, a formatter or "
                "a command). Read it again, then retry the change against its current content."
            )
