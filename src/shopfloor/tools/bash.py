"""Bash, BashOutput and KillBash: shell commands in the workspace, in the foreground or in the background."""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput, ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.process import cut_middle
from shopfloor.tools.shell import BackgroundJob, ShellRun

OUTPUT_LIMIT = 30_000
"""Characters of output a model sees per call; longer output keeps its head and tail."""
DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000

_BASH_DESCRIPTION = f"""\
Runs a bash command in the workspace; returns stdout and stderr together.
- Each call is a new bash process. The working directory carries over (while inside the workspace); \
exported variables, aliases and functions do not.
- stdin is closed: pass `-y`, `--no-edit`, `-m "message"`; never open an editor or pager.
- `timeout` in ms ({DEFAULT_TIMEOUT_MS} default, {MAX_TIMEOUT_MS} max); on timeout everything the \
command started is killed and you get its output so far.
- Output over {OUTPUT_LIMIT} characters is cut in the middle; narrow noisy commands (`| tail -50`, \
`-q`, a test selector).
- A non-zero exit is reported as "Exit code N" and the call fails.
- There may be a sandbox: the workspace writable, the rest read-only, a private /tmp, maybe no network.
- Use Read, Grep, Glob, Edit and Write instead of cat, grep, find, sed or echo; keep Bash for tests, \
builds, git, package managers and scripts.
- Quote paths with spaces; chain dependent steps with `&&`; prefer absolute paths to `cd`.
- Servers and watchers: `run_in_background: true` returns an id at once; read output with \
BashOutput, stop with KillBash. Not `&`: what a call leaves behind is killed when it ends."""

_OUTPUT_DESCRIPTION = """\
Reads what a background command (started by Bash with run_in_background) has printed since the last \
time you read it, together with its status: running, completed, failed (with its exit code) or killed.
- `bash_id` is the id Bash returned, such as "bash_1".
- `filter` is an optional regular expression: only the new lines that match are shown, and the \
other new lines are discarded for good.
- Call it again later to see more; each call returns only new output."""

_KILL_DESCRIPTION = """\
Stops a background command started by Bash with run_in_background, together with every process it \
started. `shell_id` is the id Bash returned, such as "bash_1". Background commands still running when \
the agent finishes are stopped automatically."""


class BashInput(ToolInput):
    command: str = Field(description="The command to run.")
    timeout: float = Field(
        default=DEFAULT_TIMEOUT_MS,
        gt=0,
        allow_inf_nan=False,
        description=f"Limit in ms (default {DEFAULT_TIMEOUT_MS}, max {MAX_TIMEOUT_MS}).",
    )
    description: str = Field(
        default="", description="A few words on what it does, e.g. 'Run the unit tests'."
    )
    run_in_background: bool = Field(
        default=False,
        description="Return at once; read the output later with BashOutput.",
    )


class BashOutputInput(ToolInput):
    bash_id: str = Field(description="The id of the background command, as returned by Bash.")
    filter: str | None = Field(
        default=None,
        description="Optional regular expression; only new output lines matching it are returned.",
    )


class KillBashInput(ToolInput):
    shell_id: str = Field(description="The id of the background command to stop, as returned by Bash.")


def _describe_exit(code: int) -> str:
    if code >= 0:
        return f"Exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"Exit code {128 - code} (killed by {name})"


def _format_ms(ms: float) -> str:
    return f"{ms:.0f}" if ms == int(ms) else f"{ms:g}"


def format_run(run: ShellRun, timeout_ms: float) -> ToolResult:
    """The answer for one foreground command."""
    body = cut_middle(run.output.rstrip("\n"), OUTPUT_LIMIT)
    tail: list[str] = []
    failed = False
    if run.timed_out:
        failed = True
        tail.append(
            f"Command timed out after {_format_ms(timeout_ms)} ms and was stopped, together with "
            "everything it started. The output above is what it printed before that."
        )
    elif run.exit_code:
        failed = True
        tail.append(_describe_exit(run.exit_code))
    if run.cwd_note:
        tail.append(run.cwd_note)
    text = "\n".join(part for part in (body, *tail) if part)
    return ToolResult(text or "(no output)", is_error=failed)


def _with_notice(result: ToolResult, notice: str | None) -> ToolResult:
    if notice is None:
        return result
    return ToolResult(f"{notice}\n\n{result.content}", is_error=result.is_error)


def _find_job(ctx: ToolContext, job_id: str) -> BackgroundJob:
    job = ctx.shell.job(job_id)
    if job is not None:
        return job
    known = ", ".join(ctx.shell.jobs) or "none have been started"
    raise ToolError(f"Error: no background shell with id {job_id!r}. Known background shells: {known}.")


class BashTool(Tool[BashInput]):
    name: ClassVar[str] = "Bash"
    description: ClassVar[str] = _BASH_DESCRIPTION
    input_model: ClassVar[type[ToolInput]] = BashInput

    async def run(self, args: BashInput, ctx: ToolContext) -> ToolResult:
        command = args.command
        if not command.strip():
            raise ToolError("Error: `command` is empty. Pass the shell command to run.")
        if "\x00" in command:
            raise ToolError("Error: `command` contains a NUL byte, which a shell command cannot hold.")
        timeout_ms = min(args.timeout, MAX_TIMEOUT_MS)
        notice = await ctx.shell.notice_once()
        if notice is not None and notice not in ctx.notices:
            ctx.notices.append(notice)
        try:
            if args.run_in_background:
                job = await ctx.shell.start_background(command, description=args.description or None)
                result = ToolResult(
                    f"Command running in background with ID: {job.id}. Read its output with BashOutput "
                    f'(bash_id "{job.id}") and stop it with KillBash (shell_id "{job.id}").'
                )
            else:
                run = await ctx.shell.run(command, timeout_s=timeout_ms / 1000)
                result = format_run(run, timeout_ms)
        except OSError as exc:
            raise ToolError(f"Error: the command could not be started: {exc}") from exc
        return _with_notice(result, notice)


class BashOutputTool(Tool[BashOutputInput]):
    name: ClassVar[str] = "BashOutput"
    description: ClassVar[str] = _OUTPUT_DESCRIPTION
    input_model: ClassVar[type[ToolInput]] = BashOutputInput
    read_only: ClassVar[bool] = True

    async def run(self, args: BashOutputInput, ctx: ToolContext) -> ToolResult:
        job = _find_job(ctx, args.bash_id)
        pattern = None
        if args.filter:
            try:
                pattern = re.compile(args.filter)
            except re.error as exc:
                raise ToolError(f"Error: `filter` is not a valid regular expression: {exc}") from exc
        # Read the status first: output that arrives in between is then reported on the next call.
        status, code = job.status, job.exit_code
        text = job.read_new()
        if pattern is not None:
            text = "\n".join(line for line in text.splitlines() if pattern.search(line))
        text = cut_middle(text.rstrip("\n"), OUTPUT_LIMIT)
        parts = [f"<status>{status}</status>"]
        if code is not None and status != "killed":
            parts.append(f"<exit_code>{code}</exit_code>")
        parts.append(f"<stdout>\n{text}\n</stdout>" if text else "<stdout>(no new output)</stdout>")
        parts.append(f"<timestamp>{datetime.now(UTC).isoformat(timespec='seconds')}</timestamp>")
        return ToolResult("\n\n".join(parts))


class KillBashTool(Tool[KillBashInput]):
    name: ClassVar[str] = "KillBash"
    description: ClassVar[str] = _KILL_DESCRIPTION
    input_model: ClassVar[type[ToolInput]] = KillBashInput

    async def run(self, args: KillBashInput, ctx: ToolContext) -> ToolResult:
        job = _find_job(ctx, args.shell_id)
        status = job.status
        if not await job.kill():
            raise ToolError(
                f"Error: background shell {job.id} is not running (status: {status}), so there is "
                "nothing to kill. Its remaining output can still be read with BashOutput."
            )
        return ToolResult(f"Successfully killed shell: {job.id} ({job.command})")
