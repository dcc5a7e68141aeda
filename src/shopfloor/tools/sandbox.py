"""Bubblewrap sandbox for Bash: does `bwrap` work here (asked once), and the argv that wraps a command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SANDBOX_ENV = "SHOPFLOOR_SANDBOX"
"""Set to `off` to run commands without the sandbox even where bwrap works."""

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


_probed: SandboxSupport | None = None


def _namespace_flags(allow_network: bool) -> list[str]:
    # A new pid namespace lets an unprivileged bwrap mount /proc, and when the command ends the kernel
    # ends everything it left behind in that namespace, even what escaped the process group.
    flags = ["--unshare-pid", "--die-with-parent"]
    if not allow_network:
        flags.append("--unshare-net")
    return flags


def _base_mounts() -> list[str]:
    return ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]


def _toolchains_under_tmp() -> list[Path]:
    """Interpreters and PATH folders that live under /tmp, which the private /tmp would hide.

    A virtualenv or checkout under /tmp (common in CI) must stay usable inside the sandbox, read-only.
    """
    tmp = Path("/tmp")
    found: set[Path] = set()
    candidates = [Path(sys.prefix), Path(sys.base_prefix)]
    candidates += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for c in candidates:
        try:
            real = c.resolve()
        except OSError:
            continue
        if real.is_relative_to(tmp) and real != tmp and real.is_dir():
            found.add(real)
    return sorted(found, key=lambda p: len(p.parts))


async def _probe() -> SandboxSupport:
    exe = shutil.which("bwrap")
    if exe is None:
        return SandboxSupport(False, "bubblewrap (bwrap) is not installed")
    argv = [exe, *_base_mounts(), *_namespace_flags(False), "--", "true"]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 10.0)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        return SandboxSupport(False, "bwrap did not answer within 10 s")
    except OSError as exc:
        return SandboxSupport(False, f"bwrap could not be started: {exc}")
    if proc.returncode != 0:
        first = err.decode("utf-8", errors="replace").strip().splitlines()
        detail = first[0] if first else f"exit code {proc.returncode}"
        return SandboxSupport(False, f"bwrap does not work on this machine ({detail})")
    return SandboxSupport(True, "")


async def sandbox_support() -> SandboxSupport:
    """Whether commands can be sandboxed here; the real probe runs once per process."""
    global _probed
    if os.environ.get(SANDBOX_ENV, "").strip().lower() in {"off", "0", "false", "no"}:
        return SandboxSupport(False, f"the sandbox is turned off ({SANDBOX_ENV}=off)")
    if _probed is None:
        # Two callers racing here both probe; the answers agree, so no lock (which would tie us to a loop).
        _probed = await _probe()
    return _probed


def forget_probe() -> None:
    """Drop the cached answer so the next `sandbox_support()` probes again."""
    global _probed
    _probed = None


def git_metadata_dirs(root: Path) -> list[Path]:
    """Git directories a worktree keeps outside itself (`.git` is a file there), which commits write to."""
    dot_git = root / ".git"
    if not dot_git.is_file():
        return []
    try:
        line = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return []
    if not line.startswith("gitdir:"):
        return []
    gitdir = Path(line.removeprefix("gitdir:").strip())
    if not gitdir.is_absolute():
        gitdir = root / gitdir
    gitdir = gitdir.resolve()
    dirs = [gitdir]
    commondir_file = gitdir / "commondir"
    with contextlib.suppress(OSError):
        common = Path(commondir_file.read_text(encoding="utf-8").strip())
        dirs.append((common if common.is_absolute() else gitdir / common).resolve())
    return [d for d in dirs if d.is_dir()]


def bwrap_argv(
    argv: Sequence[str],
    *,
    writable: Sequence[Path],
    cwd: Path,
    allow_network: bool = False,
    bwrap: str = "bwrap",
    hidden: Sequence[Path] = (),
) -> list[str]:
    """Wrap `argv` so it sees the machine read-only, a private /tmp and only `writable` dirs writable;
    each `hidden` folder shows up empty."""
    out = [bwrap, *_base_mounts()]
    for d in _toolchains_under_tmp():
        out += ["--ro-bind", str(d), str(d)]
    for d in hidden:
        out += ["--tmpfs", str(d), "--remount-ro", str(d)]
    # Parents before children, so a dir inside another stays writable once both are bound.
    for d in sorted({p.resolve() for p in writable}, key=lambda p: len(p.parts)):
        out += ["--bind", str(d), str(d)]
    out += _namespace_flags(allow_network)
    out += ["--chdir", str(cwd), "--", *argv]
    return out
