"""The one place that starts subprocesses: process groups, timeouts, output caps, scrubbed environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_SECRET_NAME = re.compile(r"(_API_KEY|_TOKEN|SECRET|_PASSWORD|_CREDENTIALS?)$|SECRET", re.IGNORECASE)
_KEEP = {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "SHELL", "TZ"}


def scrub_env(
    base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a child gets: no keys, tokens or secrets of ours, non-interactive settings."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not _SECRET_NAME.search(k)}
    env.update(
        {
            "CI": "true",
            "PAGER": "cat",
            "GIT_PAGER": "cat",
            "GIT_TERMINAL_PROMPT": "0",
            "NO_COLOR": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def cut_middle(text: str, limit: int) -> str:
    """Keep head and tail of `text` when it is longer than `limit` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n\n[... {cut} characters cut ...]\n\n{text[-half:]}"


class OutputBuffer:
    """Collects bytes, keeping the first `head` and last `tail` bytes and a count of what was dropped."""

    def __init__(self, head: int = 2_000_000, tail: int = 2_000_000):
        self._head = bytearray()
        self._tail = bytearray()
        self._head_cap, self._tail_cap = head, tail
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            over = len(self._tail) - self._tail_cap
            if over > 0:
                del self._tail[:over]
                self.dropped += over

    def text(self) -> str:
        head = self._head.decode("utf-8", errors="replace")
        tail = self._tail.decode("utf-8", errors="replace")
        if self.dropped:
            return f"{head}\n[... {self.dropped} bytes dropped ...]\n{tail}"
        return head + tail


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int | None
    """None when the process was killed for the timeout."""
    output: str
    """stdout and stderr, merged, decoded with replacement characters."""
    timed_out: bool
    duration_s: float


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a whole process group, ignoring one that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    grace_s: float = 0.2,
) -> ProcessResult:
    """Run `argv` in a new process group with merged output; kill the whole group on timeout.

    When the main process exits, leftovers it started in the background get `grace_s` to flush and
    are then killed, so nothing outlives the call.
    """
    start = time.monotonic()
    # Our own pipe, not asyncio's: asyncio's wait() also waits for every holder of the pipe to close it,
    # which a background grandchild never does.
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            env=dict(env) if env is not None else scrub_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    buf = OutputBuffer()
    reader = asyncio.ensure_future(_pump(read_fd, buf))
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout_s)
    except TimeoutError:
        timed_out = True
    finally:
        if not timed_out:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), grace_s)
        kill_group(proc.pid)
        if proc.returncode is None:
            await proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader, 2.0)
        if not reader.done():
            reader.cancel()
    return ProcessResult(
        exit_code=None if timed_out else proc.returncode,
        output=buf.text(),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
    )


async def _pump(fd: int, buf: OutputBuffer) -> None:
    """Read a pipe's read end until every writer has closed it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        while chunk := await reader.read(65536):
            buf.feed(chunk)
    finally:
        transport.close()
