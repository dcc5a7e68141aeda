"""The workspace an agent may touch: path confinement and the read-state behind Edit and Write."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shopfloor.tools.errors import ToolError
from shopfloor.tools.protected import is_secret_path, protection


class Workspace:
    """A root directory (plus optional extra directories) that every tool path must resolve into.

    Agents write only inside `writable` (the root by default; extra directories are read-only), and
    never the protected paths of the root (git metadata, configuration, shopfloor's records).
    """

    def __init__(self, root: Path, extra_dirs: Sequence[Path] = (), writable: Sequence[Path] | None = None):
        self.root = root.resolve()
        self.extra_dirs = tuple(d.resolve() for d in extra_dirs)
        self.writable = (self.root,) if writable is None else tuple(p.resolve() for p in writable)
        """What may be changed: folders, or single files (a planning agent's queue file)."""

    @property
    def allowed(self) -> tuple[Path, ...]:
        return (self.root, *self.extra_dirs)

    def contains(self, path: Path) -> bool:
        return any(path == d or path.is_relative_to(d) for d in self.allowed)

    def base_of(self, real: Path) -> Path:
        """The allowed folder `real` lies in (the deepest one), from which the file tools open it."""
        inside = [d for d in self.allowed if real == d or real.is_relative_to(d)]
        if not inside:
            raise ToolError(f"Error: access denied: {real} is outside the workspace {self.root}.")
        return max(inside, key=lambda d: len(d.parts))

    def check_writable(self, real: Path) -> None:
        """Raise ToolError unless an agent may change `real` (already resolved)."""
        for w in self.writable:
            if real == w or real.is_relative_to(w):
                reason = protection(real.relative_to(self.root)) if w == self.root else None
                if reason:
                    raise ToolError(f"Error: access denied: {real} cannot be changed by an agent: {reason}.")
                return
        listing = ", ".join(str(w) for w in self.writable) or "nothing"
        raise ToolError(
            f"Error: access denied: {real} is read-only for this agent, which may only change {listing}."
        )

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
        self.record_digest(path, file_digest(data), path.stat().st_mtime_ns, full=full)

    def record_digest(self, path: Path, digest: str, mtime_ns: int, *, full: bool) -> None:
        """`record` for a file hashed as it was streamed rather than held whole."""
        before = self._stamps.get(path)
        if not full and before is not None and before.full and before.sha256 == digest:
            full = True
        self._stamps[path] = FileStamp(digest, mtime_ns, full)

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
