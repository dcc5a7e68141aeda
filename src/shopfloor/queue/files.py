"""Writing files other processes read: atomic replace, and read-modify-write under an advisory lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).chmod(path.stat().st_mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class NotUtf8Error(ValueError):
    """A queue file that is not UTF-8 text; the message names the file, the line and what to do."""

    def __init__(self, path: Path, line: int) -> None:
        super().__init__(f"{path}:{line}: not UTF-8 text; save the file as UTF-8")
        self.path = path
        self.line = line


def read_text_exact(path: Path) -> str:
    """The file's text with its line endings as they are (no newline translation)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise NotUtf8Error(path, data.count(b"\n", 0, err.start) + 1) from None


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock tied to `path` (on a sibling `.lock` file).

    The lock lives on a separate file because an atomic replace swaps the inode of `path` itself, and a
    lock on the old inode would no longer exclude anyone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(f"{path.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def locked_update(path: Path, change: Callable[[str], tuple[str, T]]) -> T:
    """Read `path` ("" if missing), apply `change`, and write the result atomically, all under the lock.

    `change` returns the new text and a value handed back to the caller; the file is left alone when the
    text did not change.
    """
    with file_lock(path):
        old = read_text_exact(path) if path.exists() else ""
        new, result = change(old)
        if new != old:
            atomic_write_text(path, new)
        return result
