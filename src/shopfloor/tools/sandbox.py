"""The bubblewrap sandbox: whether `bwrap` works here (asked once), and `confine`, the one way an agent's
Bash and the gate's checks wrap a command.

Inside, the machine is read-only and /tmp private; only the policy's writable paths can be changed, and
within them git metadata, shopfloor's and Claude Code's configuration and shopfloor's records stay
read-only. Credential stores and shell history are hidden, no network unless the policy allows it (the
run's services' ports excepted), no Unix sockets, no capabilities, a process-count and a memory limit,
and everything dies with shopfloor.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.port_bridge import PortBridge
from shopfloor.tools.protected import git_metadata_dirs, read_only_within, secrets_to_hide
from shopfloor.tools.seccomp import filter_fd

SANDBOX_ENV = "SHOPFLOOR_SANDBOX"
"""Set to `off` to make shopfloor behave as if bwrap did not work here (runs then refuse, unless told to
go without: `--no-sandbox`)."""
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt install bubblewrap`, Fedora: `sudo dnf install "
    "bubblewrap`, Arch: `sudo pacman -S bubblewrap`)"
)
OPT_OUT_HINT = (
    "or, to run agents' commands unconfined on purpose, pass `--no-sandbox` or set "
    "`[sandbox] enabled = false` in shopfloor.toml"
)

# Paths inside the sandbox where tools that insist on a writable cache can write (the private /tmp).
SANDBOX_ENV_VARS = {
    "TMPDIR": "/tmp",
    "XDG_CACHE_HOME": "/tmp/.cache",
    "npm_config_cache": "/tmp/.npm",
}


@dataclass(frozen=True)
class SandboxSupport:
    available: bool
    reason: str
    """Why not, in a few words, when it is not available."""
    user_namespace: bool = True
    """Whether bwrap can make a user namespace (it counts a process limit per sandbox there)."""


def refusal(reason: str) -> str:
    """The message for a run that needs the sandbox where it does not work."""
    return f"agents' commands cannot be sandboxed here: {reason}. To fix it, {INSTALL_HINT}; {OPT_OUT_HINT}."


@dataclass(frozen=True)
class Limits:
    max_processes: int | None = 512
    """Processes at once: per agent where a cgroup is used (root), else per command."""
    max_memory_mb: int | None = 4096
    """Memory one process may allocate (its data segment and private writable mappings)."""


@dataclass(frozen=True)
class SandboxPolicy:
    """What one confined command may do."""

    writable: tuple[Path, ...]
    """Folders (or files) it may change; everything else is read-only."""
    readable: tuple[Path, ...] = ()
    """Folders it must see (read-only) even where they lie under the private /tmp: the workspace."""
    network: bool = False
    unix_sockets: bool = False
    """Allow creating Unix sockets (a socket file on the host then becomes reachable)."""
    hidden: tuple[Path, ...] = ()
    """Folders that show up empty (a parent checkout's `node_modules`, which Node would otherwise find by
    walking up from a worktree)."""
    ports: tuple[int, ...] = ()
    """The run's services' loopback ports, reachable without the network (through a `PortBridge`)."""
    limits: Limits = field(default_factory=Limits)
    pids_group: Path | None = None
    """A pids cgroup's `cgroup.procs` the command joins first (root's process limit)."""


def limits_of(settings: SandboxSettings) -> Limits:
    return Limits(settings.max_processes or None, settings.max_memory_mb or None)


def process_limit_enforced(policy: SandboxPolicy) -> bool:
    """Whether the kernel will hold the policy's process limit (it never limits root without a cgroup)."""
    return not policy.limits.max_processes or policy.pids_group is not None or os.geteuid() != 0


_probed: SandboxSupport | None = None
_probe_lock = threading.Lock()


def _bwrap() -> str | None:
    return _which_bwrap(os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _which_bwrap(search_path: str) -> str | None:
    return shutil.which("bwrap", path=search_path)


def _base_mounts() -> list[str]:
    return ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]


def _namespace_flags(network: bool, user_namespace: bool) -> list[str]:
    # A new pid namespace lets bwrap mount /proc, hides the host's processes, and when the command ends
    # the kernel ends everything it left behind in it; --die-with-parent ends it all with shopfloor.
    flags = ["--unshare-pid", "--die-with-parent", "--cap-drop", "ALL"]
    if user_namespace and os.geteuid() != 0:  # root needs none: its capabilities are dropped anyway
        flags.append("--unshare-user")
    if not network:
        flags.append("--unshare-net")
    return flags


def _probe() -> SandboxSupport:
    exe = _bwrap()
    if exe is None:
        return SandboxSupport(False, "bubblewrap (bwrap) is not installed")
    detail = ""
    for user_namespace in (True, False):
        argv = [exe, *_base_mounts(), *_namespace_flags(False, user_namespace), "--", "true"]
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, start_new_session=True
            )
        except subprocess.TimeoutExpired:
            return SandboxSupport(False, "bwrap did not answer within 10 s")
        except OSError as exc:
            return SandboxSupport(False, f"bwrap could not be started: {exc}")
        if done.returncode == 0:
            return SandboxSupport(True, "", user_namespace=user_namespace)
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        detail = detail or (lines[0] if lines else f"exit code {done.returncode}")
    return SandboxSupport(False, f"bwrap does not work on this machine ({detail})")


def sandbox_support() -> SandboxSupport:
    """Whether commands can be sandboxed here; the real probe runs once per process."""
    global _probed
    if os.environ.get(SANDBOX_ENV, "").strip().lower() in {"off", "0", "false", "no"}:
        return SandboxSupport(False, f"the sandbox is turned off ({SANDBOX_ENV}=off)")
    with _probe_lock:
        if _probed is None:
            _probed = _probe()
        return _probed


def forget_probe() -> None:
    """Drop the cached answer so the next `sandbox_support()` probes again."""
    global _probed
    _probed = None


def _toolchains_under_tmp() -> list[Path]:
    """Interpreters and PATH folders that live under /tmp, which the private /tmp would hide.

    A virtualenv or checkout under /tmp (common in CI) must stay usable inside the sandbox, read-only.
    """
    return _toolchains(os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _toolchains(search_path: str) -> list[Path]:
    tmp = Path("/tmp")
    found: set[Path] = set()
    candidates = [Path(sys.prefix), Path(sys.base_prefix)]
    candidates += [Path(p) for p in search_path.split(os.pathsep) if p]
    for c in candidates:
        try:
            real = c.resolve()
        except OSError:
            continue
        if real.is_relative_to(tmp) and real != tmp and real.is_dir():
            found.add(real)
    return sorted(found, key=lambda p: len(p.parts))


def _mounts(policy: SandboxPolicy) -> list[str]:
    out = _base_mounts()
    for d in _toolchains_under_tmp():
        out += ["--ro-bind", str(d), str(d)]
    writable = {p.resolve() for p in policy.writable}

    def hidden_or_writable(path: Path) -> bool:
        # Read-only is the default everywhere else: a mount costs time on every command.
        return path.is_relative_to("/tmp") or any(path.is_relative_to(w) for w in writable)

    # Parents before children, so a folder inside another keeps its own mode once both are bound.
    binds = {r: False for p in policy.readable if hidden_or_writable(r := p.resolve())}
    binds.update(dict.fromkeys(writable, True))
    for path, rw in sorted(binds.items(), key=lambda b: len(b[0].parts)):
        if path.exists():  # a missing file may be created with Write, not from Bash
            out += ["--bind" if rw else "--ro-bind", str(path), str(path)]
    for w in sorted(p for p in writable if p.is_dir()):
        for path, rw in read_only_within(w):
            out += ["--bind" if rw else "--ro-bind", str(path), str(path)]
        for meta in git_metadata_dirs(w):
            if hidden_or_writable(meta):
                out += ["--ro-bind", str(meta), str(meta)]
    for path in sorted({p.resolve() for p in policy.hidden if p.is_dir()}, key=lambda p: len(p.parts)):
        out += ["--tmpfs", str(path), "--remount-ro", str(path)]
    for secret, is_dir, empty in secrets_to_hide():
        # An empty one has nothing to show; it needs covering only where a command could write into it.
        if not empty or hidden_or_writable(Path(secret)):
            out += ["--tmpfs", secret] if is_dir else ["--ro-bind", "/dev/null", secret]
    if policy.pids_group is not None:
        out += ["--bind", str(policy.pids_group), str(policy.pids_group)]
    return out


_lifeline_lock = threading.Lock()
_lifeline_fd: int | None = None
_lifeline_write_end: int | None = None


def _lifeline() -> int:
    """A new descriptor for the read end of this process's lifeline: a pipe whose write end only
    shopfloor holds, so reading it ends (end of file) exactly when shopfloor is gone, however it died."""
    global _lifeline_fd, _lifeline_write_end
    with _lifeline_lock:
        if _lifeline_fd is None:
            # Both ends close on exec: no child ever holds the write end. It is kept open until exit.
            _lifeline_fd, _lifeline_write_end = os.pipe()
        return os.dup(_lifeline_fd)


def _watch(fd: int) -> str:
    """Start a watcher that ends everything in the sandbox when shopfloor dies.

    --die-with-parent alone leaves a gap: bwrap arms it in its inner processes only after forking them,
    so shopfloor killed during a sandbox's setup leaves that sandbox running. The watcher, orphaned at
    once to the namespace's init so no `wait` in the command waits for it, blocks on the lifeline and
    then kills every process in the namespace; init then exits and the kernel ends the rest.
    """
    watcher = f"read -r -u {fd} _; kill -KILL -1"
    return f"( ({watcher}) </dev/null >/dev/null 2>&1 & ); exec {fd}<&-"


def _prologue(policy: SandboxPolicy, user_namespace: bool, lifeline: int) -> str:
    """Shell statements that tie the command to shopfloor's life and put it under its limits before
    it runs."""
    steps: list[str] = []
    limits = policy.limits
    if policy.pids_group is not None:
        steps.append(f"echo $$ > {shlex.quote(str(policy.pids_group))}")
    elif limits.max_processes and user_namespace and os.geteuid() != 0:
        steps.append(f"ulimit -u {limits.max_processes}")
    if limits.max_memory_mb:
        steps.append(f"ulimit -d {limits.max_memory_mb * 1024}")
    return "; ".join([*(f"{s} 2>/dev/null" for s in steps), _watch(lifeline)])


def _limited(argv: Sequence[str], prologue: str) -> list[str]:
    if not prologue:
        return list(argv)
    if len(argv) >= 3 and Path(argv[0]).name == "bash" and argv[1] == "-c":
        # Already a bash script: the limits go on its first line (no extra process, same line numbers).
        return [argv[0], "-c", f"{prologue}; {argv[2]}", *argv[3:]]
    bash = shutil.which("bash") or "/bin/bash"
    return [bash, "-c", f'{prologue}; exec "$@"', "shopfloor-sandbox", *argv]


@dataclass
class Confined:
    """A confined command: run `argv`, passing `pass_fds` to it, then `close()` (or leave the `with`)."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()

    def close(self) -> None:
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.pass_fds = ()


@contextlib.contextmanager
def confine(argv: Sequence[str], policy: SandboxPolicy, *, cwd: Path) -> Iterator[Confined]:
    """`argv` wrapped in the sandbox `policy` describes, started in `cwd`.

    Raises RuntimeError where the sandbox does not work (ask `sandbox_support()` first).
    """
    support = sandbox_support()
    exe = _bwrap()
    if not support.available or exe is None:
        raise RuntimeError(refusal(support.reason))
    out = [exe, *_mounts(policy), *_namespace_flags(policy.network, support.user_namespace)]
    fds = [_lifeline()]
    if not policy.unix_sockets:
        fd = filter_fd()
        if fd is not None:
            fds.append(fd)
            out += ["--seccomp", str(fd)]
    command = _limited(argv, _prologue(policy, support.user_namespace, fds[0]))
    if policy.ports and not policy.network:
        bridge = PortBridge(policy.ports)
        fds.append(bridge.child_fd)
        command = bridge.wrap(command)
    out += ["--chdir", str(cwd), "--", *command]
    confined = Confined(out, tuple(fds))
    try:
        yield confined
    finally:
        confined.close()
