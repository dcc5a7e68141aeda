"""The workspace an agent may touch: path confinement and the read-state behind Edit and Write."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shopfloor.tools.base import ToolError

# Secrets that stay unreadable even when a workspace is the home directory itself.
_SECRET_DIRS = (".ssh", ".aws", ".gnupg", ".config/gcloud", ".azure", ".kube", ".docker")


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
        real = p.resolve()  # follows every symlink that exists; non-existent tails stay as written
        if not self.contains(real):
            shown = f"{p} (which resolves to {real})" if real != Path(os.path.normpath(p)) else str(p)
            raise ToolError(
                f"Error: access denied: {shown} is outside the workspace {self.root}. "
                "Only paths inside the workspace can be used."
            )
        home = Path.home().resolve()
        for secret in _SECRET_DIRS:
            guarded = home / secret
            if real == guarded or real.is_relative_to(guarded):
                raise ToolError(f"Error: access denied: {real} holds credentials and cannot be accessed.")
        return real


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
        self._stamps[path] = FileStamp(file_digest(data), path.stat().st_mtime_ns, full)

    def forget(self, path: Path) -> None:
        self._stamps.pop(path, None)

    def get(self, path: Path) -> FileStamp | None:
        return self._stamps.get(path)

    def check_fresh(self, path: Path, data: bytes) -> None:
        """Refuse a change to `path` unless it was fully read and is unchanged since."""
        stamp = self._stamps.get(path)
        if stamp is None or not stamp.full:
            raise ToolError(
                "Error: File has not been read yet. Read it first before writing to it. "
                f"(Use Read on {path} without offset/limit, then retry.)"
            )
        if stamp.mtime_ns != path.stat().st_mtime_ns and stamp.sha256 != file_digest(data):
            raise ToolError(
                "Error: File has been modified since read, either by the user or by a linter. "
                f"Read {path} again before attempting to change it."
            )
