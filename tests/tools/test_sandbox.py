"""The bubblewrap sandbox around Bash, and the notice when commands cannot be sandboxed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.base import ToolResult
from shopfloor.tools.bash import BashTool
from shopfloor.tools.context import ToolContext
from shopfloor.tools.sandbox import SANDBOX_ENV, SandboxPolicy, confine, sandbox_support
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.workspace import ReadState, Workspace
from tests.toolcall import call
from tests.tools.test_process import left_behind, processes_running, unique_sleep

pytestmark = pytest.mark.anyio

bash = BashTool()


async def run(ctx: ToolContext, command: str, **extra: object) -> ToolResult:
    return await call(bash, ctx, command=command, **extra)


def make_ctx(root: Path, **settings: bool) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(
        workspace=ws, read_state=ReadState(), shell=ShellSession(ws, SandboxSettings(**settings))
    )


@pytest.fixture
def needs_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SANDBOX_ENV, raising=False)
    support = sandbox_support()
    if not support.available:
        pytest.skip(f"bwrap cannot run on this machine: {support.reason}")


@pytest.fixture
async def boxed(needs_bwrap: None, workspace_dir: Path) -> AsyncIterator[ToolContext]:
    ctx = make_ctx(workspace_dir)
    yield ctx
    await ctx.shell.aclose()


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 of the host's network namespace that accepts connections."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        yield srv.getsockname()[1]


def test_policy_binds_writable_dirs_parents_first_protects_git_and_cuts_the_network(
    needs_bwrap: None, tmp_path: Path
) -> None:
    outer, inner = tmp_path / "a", tmp_path / "a" / "b"
    (inner / ".git").mkdir(parents=True)
    with confine(["bash", "-c", "true"], SandboxPolicy(writable=(inner, outer)), cwd=inner) as cmd:
        argv, fds = cmd.argv, cmd.pass_fds
        joined = " ".join(argv)
        assert "--ro-bind / /" in joined and "--tmpfs /tmp" in joined
        assert joined.index(f"--bind {outer} {outer}") < joined.index(f"--bind {inner} {inner}")
        assert joined.index(f"--bind {inner} {inner}") < joined.index(f"--ro-bind {inner / '.git'}")
        assert "--unshare-net" in argv and "--die-with-parent" in argv and "--cap-drop" in argv
        assert argv[argv.index("--chdir") + 1] == str(inner)
        assert argv[-3:-1] == ["bash", "-c"] and argv[-1].endswith("; true")  # limits on the first line
        assert f"--seccomp {fds[1]}" in joined  # after the lifeline
    with confine(["true"], SandboxPolicy(writable=(), network=True, unix_sockets=True), cwd=Path("/")) as cmd:
        assert "--unshare-net" not in cmd.argv and "--seccomp" not in cmd.argv


async def test_writing_outside_the_workspace_fails(boxed: ToolContext, workspace_dir: Path) -> None:
    target = Path.home() / f".shopfloor-sandbox-{uuid.uuid4().hex}"
    try:
        res = await run(boxed, f"echo leaked > {target}")
        assert res.is_error and "Read-only file system" in res.content
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)
    # A sibling of a workspace under /tmp lands in the private /tmp, never on the host.
    sibling = workspace_dir.parent / "outside.txt"
    await run(boxed, f"echo leaked > {sibling}")
    assert not sibling.exists()


async def test_writing_inside_the_workspace_is_visible_outside(
    boxed: ToolContext, workspace_dir: Path
) -> None:
    res = await run(boxed, "mkdir -p out && echo made > out/file.txt && pwd")
    assert res.content == str(workspace_dir)  # the workspace keeps its real path inside
    assert (workspace_dir / "out" / "file.txt").read_text() == "made\n"


async def test_tmp_is_private(boxed: ToolContext) -> None:
    name = f"shopfloor-sandbox-{uuid.uuid4().hex}"
    host_file = Path("/tmp") / name
    host_file.write_text("host")
    try:
        res = await run(boxed, f"test -e /tmp/{name} && echo visible || echo hidden; echo in > /tmp/{name}")
        assert res.content == "hidden"
        assert host_file.read_text() == "host"
    finally:
        host_file.unlink()
    res = await run(boxed, f"echo scratch > /tmp/inner-{name} && cat /tmp/inner-{name}")
    assert res.content == "scratch"
    assert not (Path("/tmp") / f"inner-{name}").exists()


async def test_network_is_cut(boxed: ToolContext, listener: int) -> None:
    res = await run(boxed, f"echo hello > /dev/tcp/127.0.0.1/{listener} && echo connected")
    assert res.is_error and "connected" not in res.content


async def test_network_can_be_allowed(needs_bwrap: None, workspace_dir: Path, listener: int) -> None:
    ctx = make_ctx(workspace_dir, allow_network=True)
    res = await run(ctx, f"echo hello > /dev/tcp/127.0.0.1/{listener} && echo connected")
    assert res == ToolResult("connected")
    assert (await run(ctx, "touch /etc/shopfloor-probe")).is_error  # still read-only


async def test_timeout_inside_the_sandbox_kills_everything(boxed: ToolContext) -> None:
    marker = unique_sleep()
    res = await run(boxed, f"(sleep {marker} &); sleep {marker} & sleep {marker}", timeout=400)
    assert res.is_error and "timed out" in res.content
    assert left_behind(marker) == []


async def test_sandboxed_run_gives_no_notice(boxed: ToolContext) -> None:
    res = await run(boxed, "echo hi")
    assert res == ToolResult("hi")
    assert boxed.notices == []


async def test_unsandboxed_run_says_so_once(workspace_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SANDBOX_ENV, "off")
    ctx = make_ctx(workspace_dir)
    first = await run(ctx, "echo one")
    assert first.content.startswith("Warning: Bash commands are NOT sandboxed")
    assert first.content.endswith("\n\none")
    assert len(ctx.notices) == 1 and "NOT sandboxed" in ctx.notices[0]
    second = await run(ctx, "echo two")
    assert second == ToolResult("two")
    assert len(ctx.notices) == 1
    # Without the sandbox a write outside the workspace is not stopped.
    outside = workspace_dir.parent / "unboxed.txt"
    assert not (await run(ctx, f"echo x > {outside}")).is_error
    assert outside.exists()


async def test_sandbox_turned_off_by_the_session_gives_no_warning(workspace_dir: Path) -> None:
    ctx = make_ctx(workspace_dir, enabled=False)
    assert await run(ctx, "echo hi") == ToolResult("hi")
    assert ctx.notices == []


async def test_tools_installed_under_tmp_stay_usable(
    boxed: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A virtualenv or checkout under /tmp (as in many CI setups) must not vanish behind the private /tmp.
    tools = Path(tempfile.mkdtemp(prefix="sf-tools-", dir="/tmp"))
    try:
        script = tools / "hello-from-tmp"
        script.write_text("#!/bin/sh\necho tool under tmp works\n")
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
        result = await run(boxed, 'hello-from-tmp && touch "$(command -v hello-from-tmp).x" 2>&1 || true')
        assert "tool under tmp works" in result.content
        assert not (tools / "hello-from-tmp.x").exists()  # visible, but read-only
    finally:
        shutil.rmtree(tools)


def test_a_sandbox_ends_with_shopfloor_even_where_bwrap_misses_its_death(
    needs_bwrap: None, workspace_dir: Path
) -> None:
    # bwrap's --die-with-parent misses a parent killed while the sandbox is being set up. Here bwrap's
    # parent is a shell that outlives the Python process that made the sandbox, so that signal never
    # fires at all: only the sandbox's own tie to the process that made it can end the command.
    marker = unique_sleep()
    script = f"""
import subprocess, sys, time
from pathlib import Path
from shopfloor.tools.sandbox import SandboxPolicy, confine
with confine(["sleep", "{marker}"], SandboxPolicy(writable=(Path({str(workspace_dir)!r}),)),
             cwd=Path({str(workspace_dir)!r})) as c:
    keeper = subprocess.Popen(["sh", "-c", '"$@" & wait', "keeper", *c.argv], pass_fds=c.pass_fds,
                              start_new_session=True)
    print(keeper.pid, flush=True)
    time.sleep(600)
"""
    maker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert maker.stdout is not None
    keeper = int(maker.stdout.readline())
    try:
        deadline = time.monotonic() + 30
        while not processes_running(f"sleep {marker}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_running(f"sleep {marker}"), "the confined command never started"
        maker.kill()
        maker.wait()
        assert left_behind(marker) == []
    finally:
        maker.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(keeper, signal.SIGKILL)


async def test_a_command_waiting_for_its_jobs_does_not_wait_for_the_sandbox_s_own(
    boxed: ToolContext,
) -> None:
    res = await run(boxed, "sleep 0.2 & wait; echo all done", timeout=20_000)
    assert res == ToolResult("all done")
