"""Per-agent shell state for Bash: working directory, background jobs, sandbox choice."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.cgroup import PidsGroup
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.process import (
    RunningProcess,
    StreamOutput,
    child_env,
    run_process,
    start_process,
)
from shopfloor.tools.protected import missing_protected, remove_created
from shopfloor.tools.sandbox import (
    SANDBOX_ENV_VARS,
    Confined,
    SandboxPolicy,
    confine,
    limits_of,
    process_limit_enforced,
    sandbox_support,
)

if TYPE_CHECKING:
    from shopfloor.tools.workspace import Workspace

JobStatus = Literal["running", "completed", "failed", "killed"]


@dataclass(frozen=True)
class ShellRun:
    """What one foreground command did."""

    output: str
    """stdout and stderr merged, not yet cut to the model's limit."""
    exit_code: int | None
    """None when it was killed for the timeout."""
    timed_out: bool
    sandboxed: bool
    cwd_note: str | None
    """Set when the working directory had to be reset to the workspace root."""
    duration_s: float


class BackgroundJob:
    """A command started with run_in_background: its output is read piece by piece until it is stopped."""

    def __init__(
        self, job_id: str, command: str, description: str | None, proc: RunningProcess, out: StreamOutput
    ):
        self.id = job_id
        self.command = command
        self.description = description
        self.started_at = time.time()
        self.killed = False
        self._proc = proc
        self._out = out

    @property
    def exit_code(self) -> int | None:
        return self._proc.returncode

    @property
    def status(self) -> JobStatus:
        if self.killed:
            return "killed"
        code = self._proc.returncode
        if code is None:
            return "running"
        return "completed" if code == 0 else "failed"

    def read_new(self) -> str:
        """Output produced since the previous call."""
        return self._out.take()

    async def kill(self) -> bool:
        """Stop the job and everything it started; False when nothing of it was still running."""
        was_running = self._proc.returncode is None
        alive = was_running or self._proc.group_alive()
        if was_running:
            self.killed = True
        await self._proc.close(0.0)
        return alive


class ShellSession:
    """State that persists between one agent's Bash calls (the environment does not).

    `overlay` is what the project's own environment adds (its tool folders first on PATH, its variables,
    folders to hide); the rest of what a command sees is the allowlist of `child_env` plus `[sandbox] env`.
    """

    def __init__(
        self,
        workspace: Workspace,
        settings: SandboxSettings | None = None,
        *,
        overlay: EnvOverlay | None = None,
    ):
        self.workspace = workspace
        self.settings = settings or SandboxSettings()
        self.cwd = workspace.root
        self.overlay = overlay or EnvOverlay()
        """The project environment's PATH and variables (its `.venv`, its `node_modules/.bin`)."""
        self.jobs: dict[str, BackgroundJob] = {}
        self._ids = itertools.count(1)
        self._notice_given = False
        self._pids: PidsGroup | None = None
        self._pids_tried = False
        root = workspace.root
        self._absent = missing_protected(root) if root in workspace.writable else []
        """Protected names the workspace lacked at the start: created by a command, they are removed."""

    @property
    def sandbox(self) -> bool:
        return self.settings.enabled

    async def sandbox_notice(self) -> str | None:
        """The warning to show when this session asked for the sandbox but cannot have it; else None."""
        if not self.sandbox:
            return None
        support = sandbox_support()
        if not support.available:
            return (
                "Warning: Bash commands are NOT sandboxed in this run: "
                f"{support.reason}. They can write anywhere this user can, and reach the network."
            )
        if not process_limit_enforced(self.policy()):
            return (
                "Note: commands are sandboxed, but their process-count limit cannot be enforced on this "
                "machine (running as root without a writable pids cgroup)."
            )
        return None

    async def notice_once(self) -> str | None:
        """`sandbox_notice()` the first time it applies in this session, None afterwards."""
        if self._notice_given:
            return None
        notice = await self.sandbox_notice()
        if notice is not None:
            self._notice_given = True
        return notice

    def _uses_sandbox(self) -> bool:
        return self.sandbox and sandbox_support().available

    def policy(self) -> SandboxPolicy:
        """What this agent's commands may do: write its workspace (less what is protected), and so on."""
        limits = limits_of(self.settings)
        if limits.max_processes and os.geteuid() == 0 and not self._pids_tried:
            # Root is not held by RLIMIT_NPROC: one pids cgroup for all of this agent's commands instead.
            self._pids_tried = True
            self._pids = PidsGroup.create(limits.max_processes)
        return SandboxPolicy(
            writable=self.workspace.writable,
            readable=self.workspace.allowed,
            network=self.settings.allow_network,
            unix_sockets=self.settings.unix_sockets,
            hidden=self.overlay.hidden,
            ports=self.overlay.ports,
            limits=limits,
            pids_group=self._pids.procs if self._pids is not None else None,
        )

    def env(self, *, sandboxed: bool) -> dict[str, str]:
        """The allowlisted environment, with the project's PATH and variables over it."""
        return self.overlay.apply(
            child_env(allow=self.settings.env, extra=SANDBOX_ENV_VARS if sandboxed else None)
        )

    @contextlib.contextmanager
    def _command(self, script: list[str], *, sandboxed: bool, cwd: Path) -> Iterator[Confined]:
        argv = [shutil.which("bash") or "/bin/bash", *script]
        if not sandboxed:
            yield Confined(argv)
            return
        with confine(argv, self.policy(), cwd=cwd) as confined:
            yield confined

    def _start_dir(self) -> tuple[Path, str | None]:
        if self.cwd.is_dir():
            return self.cwd, None
        gone = self.cwd
        self.cwd = self.workspace.root
        return self.cwd, f"The working directory {gone} no longer exists; the command ran in {self.cwd}."

    async def run(self, command: str, *, timeout_s: float) -> ShellRun:
        """Run one command in a fresh bash; keep its final directory when that is inside the workspace."""
        sandboxed = self._uses_sandbox()
        cwd, note = self._start_dir()
        with tempfile.TemporaryFile() as side:
            # A high descriptor number stays clear of the low ones scripts use (`exec 3>log`).
            fd = fcntl.fcntl(side.fileno(), fcntl.F_DUPFD_CLOEXEC, 100)
            # The EXIT trap reports the final directory on a side channel, so the output stays clean;
            # it sits on the command's first line so error messages keep the command's line numbers.
            script = ["-c", f"trap 'pwd -P >&{fd}' EXIT; {command}"]
            try:
                with self._command(script, sandboxed=sandboxed, cwd=cwd) as cmd:
                    result = await run_process(
                        cmd.argv,
                        cwd=cwd,
                        timeout_s=timeout_s,
                        env=self.env(sandboxed=sandboxed),
                        pass_fds=(fd, *cmd.pass_fds),
                    )
            finally:
                os.close(fd)
            side.seek(0)
            reported = side.read().decode("utf-8", errors="replace").strip().splitlines()
        if reported:
            note = self._follow(Path(reported[-1])) or note
        if sandboxed and (swept := self.sweep()):
            note = "\n".join(filter(None, [note, swept]))
        return ShellRun(
            output=result.output,
            exit_code=result.exit_code,
            timed_out=result.timed_out,
            sandboxed=sandboxed,
            cwd_note=note,
            duration_s=result.duration_s,
        )

    def _follow(self, final: Path) -> str | None:
        if final.is_absolute() and final.is_dir() and self.workspace.contains(final):
            self.cwd = final
            return None
        self.cwd = self.workspace.root
        return f"Shell cwd was reset to {self.cwd} (commands may only stay inside the workspace)."

    async def start_background(self, command: str, *, description: str | None = None) -> BackgroundJob:
        """Start `command` without waiting; its output is collected until it ends or is killed."""
        sandboxed = self._uses_sandbox()
        cwd, _ = self._start_dir()
        out = StreamOutput()
        with self._command(["-c", command], sandboxed=sandboxed, cwd=cwd) as cmd:
            proc = await start_process(
                cmd.argv, cwd=cwd, sink=out.feed, env=self.env(sandboxed=sandboxed), pass_fds=cmd.pass_fds
            )
        job = BackgroundJob(f"bash_{next(self._ids)}", command, description, proc, out)
        self.jobs[job.id] = job
        return job

    def job(self, job_id: str) -> BackgroundJob | None:
        return self.jobs.get(job_id.strip())

    def sweep(self) -> str | None:
        """Remove git metadata or configuration a command created where there was none; say so."""
        removed = remove_created(self.workspace.root, self._absent)
        if not removed:
            return None
        return (
            f"shopfloor removed {', '.join(removed)}: agents may not create git metadata or shopfloor's or "
            "Claude Code's configuration."
        )

    async def aclose(self) -> None:
        """Stop every background job this agent started, and whatever its commands left running; then
        remove protected paths they created (nothing of the agent is running any more to race it)."""
        for job in list(self.jobs.values()):
            with contextlib.suppress(OSError):
                await job.kill()
        if self.sandbox:
            self.sweep()
        if self._pids is not None:
            self._pids.remove()
            self._pids = None
            self._pids_tried = False
