"""Attacks 8 and 9: a host Unix socket reached from the network-less sandbox, and no limits (thousands of
processes, a Read with `limit=5` that loads a 3 GB file)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.bash import BashTool
from tests.security.hostile import agent_ctx, bash, finish, make_project, scripts, shopfloor, tool_answers
from tests.toolcall import call

pytestmark = pytest.mark.anyio

CONNECT = (
    "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('{path}'); "
    "s.sendall(b'hello'); print('connected')\""
)
FORK_BOMB = (
    'python3 -c "import os, time\nn = 0\nwhile n < 2000:\n    try:\n        pid = os.fork()\n'
    "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
    "    n += 1\nprint('started', n)\""
)


async def test_a_host_unix_socket_is_out_of_reach(workspace_dir: Path) -> None:
    path = workspace_dir / "agent.sock"  # inside the workspace, so the socket file itself is visible
    with socket.socket(socket.AF_UNIX) as srv:
        srv.bind(str(path))
        srv.listen(4)
        srv.settimeout(0.2)
        boxed = agent_ctx(workspace_dir)
        opened = agent_ctx(workspace_dir, SandboxSettings(unix_sockets=True))
        try:
            res = await call(BashTool(), boxed, command=CONNECT.format(path=path))
            assert res.is_error and "PermissionError" in res.content and "connected" not in res.content
            with pytest.raises(TimeoutError):
                srv.accept()
            pair = await call(BashTool(), boxed, command="python3 -c 'import socket; socket.socketpair()'")
            assert not pair.is_error, pair.content  # a program's own socket pairs keep working
            res = await call(BashTool(), opened, command=CONNECT.format(path=path))
            assert res.content == "connected"  # the switch in [sandbox] does what it says
        finally:
            await boxed.shell.aclose()
            await opened.shell.aclose()


async def test_an_agent_cannot_start_thousands_of_processes(workspace_dir: Path) -> None:
    ctx = agent_ctx(workspace_dir, SandboxSettings(max_processes=40))
    try:
        res = await call(BashTool(), ctx, command=FORK_BOMB, timeout=120_000)
    finally:
        await ctx.shell.aclose()
    started = int(res.content.split("started")[-1].split()[0])
    assert started < 40, res.content


async def test_a_process_cannot_take_more_memory_than_its_limit(workspace_dir: Path) -> None:
    ctx = agent_ctx(workspace_dir, SandboxSettings(max_memory_mb=200))
    try:
        big = await call(BashTool(), ctx, command="python3 -c 'b = bytearray(400 * 2**20); print(len(b))'")
        small = await call(BashTool(), ctx, command="python3 -c 'b = bytearray(50 * 2**20); print(len(b))'")
    finally:
        await ctx.shell.aclose()
    assert big.is_error and "MemoryError" in big.content
    assert small.content == str(50 * 2**20)


def test_a_fork_bomb_in_a_run_is_held(tmp_path: Path) -> None:
    toml = '[gate]\ncommands = ["true"]\nprove_tests = false\n[sandbox]\nmax_processes = 40\n'
    project = make_project(tmp_path, toml)
    d = scripts(tmp_path, {"TASK-001": [bash(FORK_BOMB, timeout=120_000), *finish()]})
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (answer,) = tool_answers(project, "TASK-001")
    assert int(answer.split("started")[-1].split()[0]) < 40, answer


READ_IN_A_FRESH_PROCESS = """
import anyio, re, sys
from pathlib import Path
from shopfloor.tools.context import ToolContext
from shopfloor.tools.read import ReadTool
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.workspace import ReadState, Workspace

async def main():
    ws = Workspace(Path(sys.argv[1]).parent)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws))
    res = await Toolset([ReadTool()]).call("Read", {"file_path": sys.argv[1], "limit": 5}, ctx)
    print(res.content.splitlines()[4])
    print(res.content.splitlines()[-1])
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would count the parent's size.
    print("peak_kib", re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))

anyio.run(main)
"""


def test_read_with_a_limit_does_not_load_a_huge_file(tmp_path: Path) -> None:
    huge = tmp_path / "huge.log"
    with huge.open("wb") as fh:
        fh.write(b"".join(f"line {n}\n".encode() for n in range(1, 2001)))  # some text, then a hole
        fh.truncate(1 << 30)  # a sparse gigabyte: no disk used, and no newline in it
    argv = [sys.executable, "-c", READ_IN_A_FRESH_PROCESS, str(huge)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    fifth, note, peak = done.stdout.splitlines()
    assert fifth == "     5\tline 5"
    assert note.startswith("[") and "Showing lines 1-5 of 2001" in note
    assert int(peak.split()[1]) < 200 * 1024, peak  # KiB: far below the gigabyte
