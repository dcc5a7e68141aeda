"""Per-agent shell state for Bash: working directory, background jobs, sandbox choice."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.process import (
    RunningProcess,
    StreamOutput,
    run_process,
    scrub_env,
    start_process,
)
from shopfloor.tools.sandbox import (
    SANDBOX_ENV_VARS,
    bwrap_argv,
    git_metadata_dirs,
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
    """State that persists between one agent's Bash calls (the environment does not)."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        sandbox: bool = True,
        allow_network: bool = False,
        overlay: EnvOverlay | None = None,
    ):
        self.workspace = workspace
        self.cwd = workspace.root
        self.sandbox = sandbox
        self.allow_network = allow_network
        self.overlay = overlay or EnvOverlay()
        """The project environment's PATH and variables (its `.venv`, its `node_modules/.bin`)."""
        self.jobs: dict[str, BackgroundJob] = {}
        self._ids = itertools.count(1)
        self._notice_given = False

    async def sandbox_notice(self) -> str | None:
        """The warning to show when this session asked for the sandbox but cannot have it; else None."""
        if not self.sandbox:
            return None
        support = await sandbox_support()
        if support.available:
            return None
        return (
            "Warning: Bash commands are NOT sandboxed in this run: "
            f"{support.reason}. They can write anywhere this user can, and reach the network."
        )

    async def notice_once(self) -> str | None:
        """`sandbox_notice()` the first time it applies in this session, None afterwards."""
        if self._notice_given:
            return None
        notice = await self.sandbox_notice()
        if notice is not None:
            self._notice_given = True
        return notice

    async def _uses_sandbox(self) -> bool:
        return self.sandbox and (await sandbox_support()).available

    def _argv(self, script: list[str], *, sandboxed: bool, cwd: Path) -> list[str]:
        bash = shutil.which("bash") or "/bin/bash"
        argv = [bash, *script]
        if not sandboxed:
            return argv
        writable = [*self.workspace.allowed, *git_metadata_dirs(self.workspace.root)]
        bwrap = shutil.which("bwrap") or "bwrap"
        return bwrap_argv(
            argv,
            writable=writable,
            cwd=cwd,
            allow_network=self.allow_network,
            bwrap=bwrap,
            hidden=self.overlay.hidden,
        )

    def _env(self, sandboxed: bool) -> dict[str, str]:
        return self.overlay.apply(scrub_env(extra=SANDBOX_ENV_VARS if sandboxed else None))

    def _start_dir(self) -> tuple[Path, str | None]:
        if self.cwd.is_dir():
            return self.cwd, None
        gone = self.cwd
        self.cwd = self.workspace.root
        return self.cwd, f"The working directory {gone} no longer exists; the command ran in {self.cwd}."

    async def run(self, command: str, *, timeout_s: float) -> ShellRun:
        """Run one command in a fresh bash; keep its final directory when that is inside the workspace."""
        sandboxed = await self._uses_sandbox()
        cwd, note = self._start_dir()
        env = self._env(sandboxed)
        with tempfile.TemporaryFile() as side:
            # A high descriptor number stays clear of the low ones scripts use (`exec 3>log`).
            fd = fcntl.fcntl(side.fileno(), fcntl.F_DUPFD_CLOEXEC, 100)
            # The EXIT trap reports the final directory on a side channel, so the output stays clean;
            # it sits on the command's first line so error messages keep the command's line numbers.
            script = ["-c", f"trap 'pwd -P >&{fd}' EXIT; {command}"]
            try:
                result = await run_process(
                    self._argv(script, sandboxed=sandboxed, cwd=cwd),
                    cwd=cwd,
                    timeout_s=timeout_s,
                    env=env,
                    pass_fds=(fd,),
                )
            finally:
                os.close(fd)
            side.seek(0)
            reported = side.read().decode("utf-8", errors="replace").strip().splitlines()
        if reported:
            note = self._follow(Path(reported[-1])) or note
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
        sandboxed = await self._uses_sandbox()
        cwd, _ = self._start_dir()
        env = self._env(sandboxed)
        out = StreamOutput()
        proc = await start_process(
            self._argv(["-c", command], sandboxed=sandboxed, cwd=cwd), cwd=cwd, sink=out.feed, env=env
        )
        job = BackgroundJob(f"bash_{next(self._ids)}", command, description, proc, out)
        self.jobs[job.id] = job
        return job

    def job(self, job_id: str) -> BackgroundJob | None:
        return self.jobs.get(job_id.strip())

    async def aclose(self) -> None:
        """Stop every background job this agent started."""
        for job in list(self.jobs.values()):
            with contextlib.suppress(OSError):
                await job.kill()
