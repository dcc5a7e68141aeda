"""What Claude Code hooks and MCP servers cost: a PreToolUse hook around a Read call (an inline
command, and a script of the project, whose content is checked against the approved one before each
run), and a stdio MCP server's start and one call, with a real server written with the `mcp` SDK
(tests/mcp/notes_server.py).

    .venv/bin/python bench/hooks_mcp.py [--calls N] [--starts N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from shopfloor.agent.hook_runner import HookRunner
from shopfloor.agent.hooks import AgentHooks
from shopfloor.specs.hook_config import HookCommand
from shopfloor.specs.mcp_config import parse_servers
from shopfloor.tools.mcp_client import McpPool
from shopfloor.tools.process import child_env
from shopfloor.tools.registry import builtin_toolset, make_context

SERVER = Path(__file__).resolve().parents[1] / "tests" / "mcp" / "notes_server.py"


async def read_calls(root: Path, calls: int, command: str | None) -> float:
    ctx = make_context(root, sandbox=False)
    if command is not None:
        hook = HookCommand("PreToolUse", "Read", command, 60, root / "settings.json", "project")
        hook = hook.with_scripts(root)
        runner = HookRunner([hook], root, child_env(), {"session_id": "bench"}, lambda _e: None)
        ctx.hooks = AgentHooks(runner, "bench", "bench", root, main=True)
    tools = builtin_toolset()
    times = []
    for i in range(calls + 10):
        t0 = time.perf_counter()
        await tools.call("Read", {"file_path": str(root / "a.txt")}, ctx, f"c{i}")
        if i >= 10:
            times.append(time.perf_counter() - t0)
    await ctx.shell.aclose()
    return statistics.median(times) * 1000


async def mcp(starts: int, calls: int) -> tuple[float, float]:
    configs, _ = parse_servers(
        {"notes": {"command": sys.executable, "args": [str(SERVER)]}}, SERVER, "project"
    )
    start_times, call_times = [], []
    for _ in range(starts):
        pool = McpPool(configs)
        t0 = time.perf_counter()
        await pool.start()
        start_times.append(time.perf_counter() - t0)
        conn = pool.connections["notes"]
        for _ in range(calls):
            t1 = time.perf_counter()
            await conn.call("shout", {"text": "x"})
            call_times.append(time.perf_counter() - t1)
        await pool.stop()
    return statistics.median(start_times) * 1000, statistics.median(call_times) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.txt").write_text("alpha\n")
        script = root / ".claude" / "hooks" / "ok.sh"
        script.parent.mkdir(parents=True)
        script.write_text("#!/usr/bin/env bash\nexit 0\n")
        script.chmod(0o755)
        plain = await read_calls(root, args.calls, None)
        hooked = await read_calls(root, args.calls, "exit 0")
        scripted = await read_calls(root, args.calls, '"$CLAUDE_PROJECT_DIR"/.claude/hooks/ok.sh')
    started, called = await mcp(args.starts, args.calls)
    print(f"Read call, no hooks:               {plain:7.2f} ms")
    print(f"Read call, one PreToolUse hook:    {hooked:7.2f} ms")
    print(f"  the same, the hook a script:     {scripted:7.2f} ms")
    print(f"stdio MCP server start (SDK):      {started:7.1f} ms")
    print(f"MCP tool call on a running server: {called:7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
