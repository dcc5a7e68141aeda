"""Files opened beneath a trusted folder without following any link on the way.

A path is checked once (resolved, inside the workspace), then opened again component by component from
a handle on the workspace root, each step refusing a symlink. A folder swapped for a link between the
check and the open (a background job racing the file tools) then makes the open fail instead of landing
outside the workspace.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NOT_PLAIN = (errno.ELOOP, errno.ENOTDIR)


class Swapped(OSError):
    """A component of the path is not what it was when the path was checked (a link, or not a file)."""


def _open_step(name: str, fd: int, create: bool) -> int:
    try:
        return os.open(name, _DIR, dir_fd=fd)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o777, dir_fd=fd)
    return os.open(name, _DIR, dir_fd=fd)


def open_dir(base: Path, parts: Sequence[str], *, create: bool = False) -> int:
    """A handle on `base/parts...`, every step refusing a link; missing folders made when `create`."""
    fd = os.open(base, _DIR)
    try:
        for name in parts:
            try:
                nxt = _open_step(name, fd, create)
            except OSError as err:
                if err.errno in _NOT_PLAIN:
                    raise Swapped(err.errno, f"{name} is not a plain folder") from err
                raise
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_file(base: Path, rel: Path) -> int:
    """A read handle on the regular file `base/rel`; Swapped when a step is a link or it is no file."""
    dir_fd = open_dir(base, rel.parts[:-1])
    try:
        try:
            fd = os.open(rel.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError as err:
            if err.errno in _NOT_PLAIN:
                raise Swapped(err.errno, f"{rel.name} is a link") from err
            raise
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Swapped(0, f"{rel.name} is not a regular file")
    os.set_blocking(fd, True)
    return fd


def read_bytes(base: Path, rel: Path) -> bytes:
    fd = open_file(base, rel)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


@functools.cache
def _umask() -> int:
    # os.umask can only be read by setting it; do that once, on first use rather than at import.
    old = os.umask(0o022)
    os.umask(old)
    return old


def write_atomic(base: Path, rel: Path, data: bytes) -> None:
    """Replace `base/rel` with `data` via a synced temp file beside it and a rename, all through one
    handle on its folder (made when missing). A crash leaves the old file or the new one, never half.

    An existing file keeps its permission bits; a new one gets the usual 0666 less the umask.
    """
    dir_fd = open_dir(base, rel.parts[:-1], create=True)
    try:
        try:
            old = os.stat(rel.name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            old = None
        if old is not None and not stat.S_ISREG(old.st_mode):
            raise Swapped(0, f"{rel.name} is not a regular file")
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask()
        for _ in range(100):
            tmp = f".{rel.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(
                    tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                    dir_fd=dir_fd,
                )  # fmt: skip
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free temporary name beside {rel.name}")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            # rename() replaces whatever is at the name now, a link included, and never follows it.
            os.rename(tmp, rel.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        # Make the rename itself durable; not every file system lets a directory be synced.
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
