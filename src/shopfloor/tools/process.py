"""The one place that starts subprocesses: process groups, timeouts, output caps, allowlisted environment."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# What a child sees of shopfloor's own environment: the search path, locale, terminal and toolchain
# settings. Everything else (provider keys, tokens, the user's other variables) stays out unless the
# user lists it in `[sandbox] env`.
_ALLOWED_NAMES = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "COLORTERM", "TZ", "COLUMNS",
    "LINES", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
    "PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "JAVA_HOME", "GOROOT", "GOPATH", "GOBIN", "GOFLAGS",
    "GOTOOLCHAIN", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "NVM_DIR", "NVM_BIN", "NODE_PATH",
    "VOLTA_HOME", "BUN_INSTALL", "DENO_DIR", "PNPM_HOME", "GEM_HOME", "GEM_PATH", "RBENV_ROOT", "ASDF_DIR",
    "ASDF_DATA_DIR", "MISE_DATA_DIR", "PKG_CONFIG_PATH", "CC", "CXX", "CFLAGS", "CXXFLAGS", "LDFLAGS",
    "CPPFLAGS",
)  # fmt: skip
ENV_ALLOWLIST = frozenset(_ALLOWED_NAMES)
ENV_ALLOW_PREFIXES = ("LC_",)
NON_INTERACTIVE = {
    "CI": "true",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
    # A commit or rebase without a message must not wait for an editor nobody will close.
    "GIT_EDITOR": "true",
    "NO_COLOR": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def allowed_name(name: str, allow: Sequence[str] = ()) -> bool:
    """Whether variable `name` passes: built in, or named in `allow` (exactly, or as `PREFIX*`)."""
    if name in ENV_ALLOWLIST or name.startswith(ENV_ALLOW_PREFIXES):
        return True
    return any(name == a or (a.endswith("*") and name.startswith(a[:-1])) for a in allow)


def child_env(
    *,
    allow: Sequence[str] = (),
    path_prepend: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a child process gets.

    The allowlisted part of `base` (default: this process's environment) plus the names in `allow`,
    non-interactive settings, `path_prepend` put first on PATH, then `extra` (which wins over all).
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if allowed_name(k, allow)}
    env.update(NON_INTERACTIVE)
    if path_prepend:
        env["PATH"] = os.pathsep.join([*path_prepend, *([env["PATH"]] if env.get("PATH") else [])])
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

    def __len__(self) -> int:
        return len(self._head) + len(self._tail)

    def text(self) -> str:
        head = self._head.decode("utf-8", errors="replace")
        tail = self._tail.decode("utf-8", errors="replace")
        if self.dropped:
            return f"{head}\n[... {self.dropped} bytes dropped ...]\n{tail}"
        return head + tail


class StreamOutput:
    """Output of a long-running process, handed out in pieces: `take()` returns what came since the last.

    What waits unread is capped like OutputBuffer, so a chatty job cannot fill memory between reads.
    """

    def __init__(self, head: int = 200_000, tail: int = 800_000):
        self._caps = (head, tail)
        self._buf = OutputBuffer(head, tail)
        # Decoding as bytes arrive keeps a character split across two reads in one piece.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.total_bytes = 0

    def feed(self, data: bytes) -> None:
        self.total_bytes += len(data)
        self._buf.feed(self._decoder.decode(data).encode("utf-8"))

    def take(self) -> str:
        buf, self._buf = self._buf, OutputBuffer(*self._caps)
        return buf.text()


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


def group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in process group `pgid`."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    # killpg also counts zombies, which an init that reaps slowly can keep around for seconds.
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces): state, ppid, pgrp, ...
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


class RunningProcess:
    """A child started by `start_process`: leader of its own process group, output pumped to a sink."""

    def __init__(self, proc: asyncio.subprocess.Process, reader: asyncio.Future[None]):
        self._proc = proc
        self._reader = reader

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the main process to exit; False when `timeout_s` passed first."""
        try:
            await asyncio.wait_for(self._proc.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group: the main process, its children and their children."""
        kill_group(self._proc.pid, sig)

    def group_alive(self) -> bool:
        return group_alive(self._proc.pid)

    async def close(self, grace_s: float = 0.0) -> None:
        """Give leftovers `grace_s` to flush their output, then kill the group and finish reading."""
        if grace_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), grace_s)
        self.kill()
        if self._proc.returncode is None:
            await self._proc.wait()
        with contextlib.suppress(TimeoutError):
            # Something that left the group (setsid) may still hold the pipe; stop waiting for it.
            await asyncio.wait_for(asyncio.shield(self._reader), 2.0)
        if not self._reader.done():
            self._reader.cancel()


async def start_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    sink: Callable[[bytes], None],
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
) -> RunningProcess:
    """Start `argv` in a new process group, stdin from /dev/null, stdout+stderr merged into `sink`."""
    # Our own pipe, not asyncio's: asyncio's wait() also waits for every holder of the pipe to close it,
    # which a background grandchild never does.
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            env=dict(env) if env is not None else child_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return RunningProcess(proc, asyncio.ensure_future(_pump(read_fd, sink)))


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    grace_s: float = 0.2,
    pass_fds: Sequence[int] = (),
) -> ProcessResult:
    """Run `argv` in a new process group with merged output; kill the whole group on timeout.

    When the main process exits, leftovers it started in the background get `grace_s` to flush and
    are then killed, so nothing outlives the call.
    """
    start = time.monotonic()
    buf = OutputBuffer()
    proc = await start_process(argv, cwd=cwd, sink=buf.feed, env=env, pass_fds=pass_fds)
    timed_out = True
    try:
        timed_out = not await proc.wait(timeout_s)
    finally:
        # Also reached on cancellation: the group must not outlive the call.
        await proc.close(0.0 if timed_out else grace_s)
    return ProcessResult(
        exit_code=None if timed_out else proc.returncode,
        output=buf.text(),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
    )


async def _pump(fd: int, sink: Callable[[bytes], None]) -> None:
    """Read a pipe's read end until every writer has closed it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        while chunk := await reader.read(65536):
            sink(chunk)
    finally:
        transport.close()


@dataclass(frozen=True)
class PipedResult:
    exit_code: int | None
    """None when the process was killed for the timeout."""
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


async def run_piped(
    argv: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    cap: int = 1_000_000,
) -> PipedResult:
    """Run `argv` in a new process group with `stdin` as its input and stdout and stderr kept apart
    (what a hook needs); the whole group is killed on timeout, and when the main process ends."""
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=dict(env) if env is not None else child_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    out, err = OutputBuffer(cap // 2, cap // 2), OutputBuffer(cap // 2, cap // 2)

    async def pump(stream: asyncio.StreamReader | None, buf: OutputBuffer) -> None:
        while stream is not None and (chunk := await stream.read(65536)):
            buf.feed(chunk)

    async def feed() -> None:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(stdin)
            await proc.stdin.drain()
        proc.stdin.close()

    readers = asyncio.gather(pump(proc.stdout, out), pump(proc.stderr, err), feed())
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout_s)
    except TimeoutError:
        timed_out = True
    finally:
        kill_group(proc.pid)  # also reached on cancellation: nothing of the group outlives the call
        if proc.returncode is None:
            await proc.wait()
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(readers, 2.0)
        if not readers.done():
            readers.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await readers
    return PipedResult(
        exit_code=None if timed_out else proc.returncode,
        stdout=out.text(),
        stderr=err.text(),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
    )
