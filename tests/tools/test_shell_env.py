"""The project environment's overlay in the agent's shell: its tools first on PATH, its variables set,
shopfloor's own virtualenv off PATH, and a parent checkout's node_modules out of sight in the sandbox."""

from __future__ import annotations

import socketserver
import sys
import threading
from pathlib import Path

import pytest

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.bash import BashTool
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.context import ToolContext
from shopfloor.tools.sandbox import SANDBOX_ENV, sandbox_support
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.workspace import ReadState, Workspace
from tests.toolcall import call

pytestmark = pytest.mark.anyio


def test_overlay_puts_its_folders_first_sets_variables_and_drops_entries() -> None:
    overlay = EnvOverlay(
        path=("/w/.venv/bin", "/w/node_modules/.bin"), vars={"A": "1"}, drop_path=("/own/bin",)
    )
    env = overlay.apply({"PATH": "/own/bin:/usr/bin:/w/.venv/bin", "A": "0", "B": "2"})
    assert env == {"PATH": "/w/.venv/bin:/w/node_modules/.bin:/usr/bin", "A": "1", "B": "2"}


async def test_the_agents_shell_runs_with_the_overlay(tmp_path: Path) -> None:
    root = (tmp_path / "wt").resolve()
    (root / "bin").mkdir(parents=True)
    tool = root / "bin" / "projtool"
    tool.write_text("#!/bin/sh\necho from the project\n")
    tool.chmod(0o755)
    own = str(Path(sys.executable).parent)
    overlay = EnvOverlay(path=(str(root / "bin"),), vars={"VIRTUAL_ENV": str(root)}, drop_path=(own,))
    ws = Workspace(root)
    shell = ShellSession(ws, SandboxSettings(enabled=False), overlay=overlay)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=shell)
    result = await call(BashTool(), ctx, command='projtool; echo "$VIRTUAL_ENV"; echo "$PATH"')
    said, venv, path = result.content.splitlines()[:3]
    assert said == "from the project" and venv == str(root)
    assert own not in path.split(":")
    await ctx.shell.aclose()


async def test_a_parent_checkouts_node_modules_is_hidden_in_the_sandbox(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SANDBOX_ENV, raising=False)
    assert sandbox_support().available, "bubblewrap is needed (the CI script installs it)"
    checkout = outside_tmp / "checkout"  # not under /tmp, which the sandbox replaces anyway
    (checkout / "node_modules" / "ghost").mkdir(parents=True)
    (checkout / "node_modules" / "ghost" / "index.js").write_text("x")
    root = (checkout / ".orchestrator" / "worktrees" / "T-1").resolve()
    root.mkdir(parents=True)
    modules = checkout.resolve() / "node_modules"
    ws = Workspace(root)
    command = f"ls {modules} | wc -l; touch {modules}/x 2>/dev/null && echo wrote || echo read-only"
    cases = [(EnvOverlay(hidden=(modules,)), ["0", "read-only"]), (EnvOverlay(), ["1", "read-only"])]
    for overlay, expected in cases:
        ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws, overlay=overlay))
        result = await call(BashTool(), ctx, command=command)
        assert result.content.split() == expected, result.content
        await ctx.shell.aclose()


class _Pong(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"pong " + self.rfile.readline())


async def test_a_services_port_is_reachable_in_the_sandbox_and_no_other_loopback_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SANDBOX_ENV, raising=False)
    assert sandbox_support().available, "bubblewrap is needed (the CI script installs it)"
    servers = [socketserver.TCPServer(("127.0.0.1", 0), _Pong) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    service, other = (s.server_address[1] for s in servers)
    ask = (
        "import socket, sys\n"
        "try:\n"
        "    c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\n"
        "    c.sendall(b'hi\\n'); print(c.recv(64).decode().strip())\n"
        "except OSError as err: print(type(err).__name__)\n"
    )
    (tmp_path / "ask.py").write_text(ask)
    ws = Workspace(tmp_path)
    shell = ShellSession(ws, overlay=EnvOverlay(ports=(service,)))
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=shell)
    try:
        command = f"python3 ask.py {service}; python3 ask.py {other}; exit 3"
        result = await call(BashTool(), ctx, command=command)
        assert result.content.splitlines()[:2] == ["pong hi", "ConnectionRefusedError"], result.content
        assert "3" in result.content.splitlines()[-1]  # the command's own exit code comes through
    finally:
        await shell.aclose()
        for server in servers:
            server.shutdown()
            server.server_close()
