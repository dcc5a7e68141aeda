"""MCP servers for a run or one agent, through the official `mcp` SDK (stdio and streamable HTTP).

Each server lives in a task of its own, which opens the connection, lists the tools and holds the
connection until `stop()`: the SDK's connection must be closed by the task that opened it, and the
run's agents call it from many tasks. A server that cannot start, or that dies, leaves its tools
answering with errors; nothing of it reaches the run as an exception.

Claude Code's `MCP_TIMEOUT` (start-up, ms) and `MCP_TOOL_TIMEOUT` (one call, ms) are honoured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from shopfloor.specs.mcp_config import McpServerConfig
from shopfloor.tools.base import Tool, ToolResult
from shopfloor.tools.mcp_tool import McpToolInfo, mcp_tool
from shopfloor.tools.process import cut_middle

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["McpConnection", "McpPool", "ServerState"]

ServerState = Literal["starting", "connected", "failed", "stopped"]
STARTUP_S = 30.0
CALL_S = 600.0
OUTPUT_CHARS = 100_000
"""About Claude Code's 25,000-token cap on what one MCP call returns."""


def _seconds(name: str, default: float, environ: Mapping[str, str]) -> float:
    try:
        return max(0.1, float(environ[name]) / 1000)
    except (KeyError, ValueError):
        return default


@dataclass
class McpConnection:
    """One server: started once, shared by every agent that uses it, stopped once."""

    config: McpServerConfig
    env: Mapping[str, str] = field(default_factory=dict)
    """The environment a stdio server starts with (the run's child environment)."""
    cwd: Path | None = None
    log: TextIO | None = None
    """Where a stdio server's stderr goes."""
    state: ServerState = "starting"
    error: str = ""
    tools: list[McpToolInfo] = field(default_factory=list)
    _client: Client | None = None
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def name(self) -> str:
        return self.config.name

    async def start(self, timeout_s: float) -> None:
        """Connect and list the tools; on any failure the server is `failed`, with the reason."""
        if self.config.missing:
            self._fail(f"the environment variables {', '.join(self.config.missing)} are not set")
            return
        if self.config.transport == "sse":
            self._fail("SSE servers are not supported by shopfloor; use the server's streamable HTTP URL")
            return
        self._task = asyncio.create_task(self._serve(), name=f"mcp-{self.name}")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        except TimeoutError:
            self._fail(f"it did not answer within {timeout_s:g} s (MCP_TIMEOUT)")
            await self.stop()

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolResult:
        client = self._client
        if client is None or self.state != "connected":
            why = self.error or self.state
            return ToolResult(f"Error: the MCP server {self.name} is not running: {why}.", is_error=True)
        timeout = _seconds("MCP_TOOL_TIMEOUT", CALL_S, os.environ)
        try:
            result = await asyncio.wait_for(client.call_tool(tool, arguments), timeout)
        except TimeoutError:
            return ToolResult(f"Error: {tool} on MCP server {self.name} took over {timeout:g} s.", True)
        except Exception as err:  # the server's error, or its death mid-call
            if self._task is not None and self._task.done():
                self._fail(f"it stopped: {self.error or err}")
            return ToolResult(f"Error: MCP server {self.name}: {_describe(err)}", is_error=True)
        return ToolResult(_result_text(result), bool(result.is_error))

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except (TimeoutError, Exception):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if self.state == "connected":
            self.state = "stopped"

    async def _serve(self) -> None:
        from mcp import Client

        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await stack.enter_async_context(Client(await self._target(stack), mode="legacy"))
                listed = await client.list_tools()
                self.tools = [
                    McpToolInfo(
                        server=self.config.key,
                        name=t.name,
                        description=t.description or "",
                        input_schema=dict(t.input_schema),
                        read_only=bool(t.annotations and t.annotations.read_only_hint),
                    )
                    for t in listed.tools
                ]
                self._client = client
                self.state = "connected"
                self._ready.set()
                await self._stop.wait()
        except Exception as err:
            if self.state != "stopped":
                self._fail(_describe(err))
        finally:
            self._client = None
            self._ready.set()

    async def _target(self, stack: contextlib.AsyncExitStack) -> Any:
        """What `Client` connects to; an HTTP client made here is closed by `stack`."""
        from mcp.client.stdio import stdio_client

        from mcp import StdioServerParameters

        c = self.config
        if c.transport == "stdio":
            params = StdioServerParameters(
                command=c.command,
                args=list(c.args),
                env={**self.env, **dict(c.env)},
                cwd=self.cwd,
                encoding_error_handler="replace",
            )
            # Its stderr goes to the log (or nowhere), never onto the terminal of the run.
            return stdio_client(params, errlog=self.log or _devnull())
        if not c.headers:
            return c.url
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        # The SDK's own timeouts (30 s, and 300 s to read a response stream), with the headers.
        http = httpx2.AsyncClient(headers=dict(c.headers), timeout=httpx2.Timeout(30.0, read=300.0))
        await stack.enter_async_context(http)
        return streamable_http_client(c.url, http_client=http)

    def _fail(self, reason: str) -> None:
        self.state = "failed"
        self.error = reason
        self._ready.set()


class McpPool:
    """The servers of one scope (a run, or one agent), started together and stopped together."""

    def __init__(
        self,
        configs: Iterable[McpServerConfig],
        *,
        agent_configs: Mapping[str, Sequence[McpServerConfig]] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_dir: Path | None = None,
    ):
        """`configs`: servers every agent may use; `agent_configs`: servers an agent file defines,
        offered to that agent only."""
        self._logs: list[TextIO] = []
        self.connections: dict[str, McpConnection] = {}
        self._owners: dict[str, str | None] = {}
        owned: list[tuple[str | None, McpServerConfig]] = [(None, c) for c in configs]
        owned += [(a, c) for a, cs in (agent_configs or {}).items() for c in cs]
        for owner, config in owned:
            log: TextIO | None = None
            if config.transport == "stdio":
                if log_dir is not None:
                    log_dir.mkdir(parents=True, exist_ok=True)
                    stem = f"{owner}-{config.key}" if owner else config.key
                    log = (log_dir / f"mcp-{stem}.log").open("a", encoding="utf-8")
                else:
                    log = _devnull()
                self._logs.append(log)
            key = f"{owner}/{config.name}" if owner else config.name
            self.connections[key] = McpConnection(config, env=env or {}, cwd=cwd, log=log)
            self._owners[key] = owner

    async def start(self) -> None:
        timeout = _seconds("MCP_TIMEOUT", STARTUP_S, os.environ)
        await asyncio.gather(*(c.start(timeout) for c in self.connections.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.connections.values()))
        for log in self._logs:
            log.close()

    async def __aenter__(self) -> McpPool:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def tools(self, agent: str | None = None) -> list[Tool[Any]]:
        """The tools an agent is offered: every shared server's, and its own servers' (which win over
        a shared server of the same name)."""
        chosen: dict[str, McpConnection] = {}
        for key, conn in self.connections.items():
            owner = self._owners[key]
            if owner is None:
                chosen.setdefault(conn.config.key, conn)
            elif owner == agent:
                chosen[conn.config.key] = conn
        return [mcp_tool(info, conn.call) for conn in chosen.values() for info in conn.tools]

    def servers(self, agent: str | None = None) -> list[McpConnection]:
        """The connections an agent can reach (for a message naming what is missing)."""
        return [c for k, c in self.connections.items() if self._owners[k] in (None, agent)]

    def failures(self) -> list[str]:
        return [
            f"MCP server {c.name} is not available: {c.error}" for c in self.connections.values() if c.error
        ]


def _devnull() -> TextIO:
    return open(os.devnull, "w", encoding="utf-8")  # the child inherits the descriptor


def _result_text(result: Any) -> str:
    parts: list[str] = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {block.mime_type}, {len(block.data) * 3 // 4:,} bytes, not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.name}: {block.uri}]")
        elif kind == "resource":
            text = getattr(block.resource, "text", None)
            parts.append(text if text is not None else f"[binary resource {block.resource.uri}]")
    if not parts and result.structured_content is not None:
        import json

        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return cut_middle("\n".join(parts), OUTPUT_CHARS) or "(no output)"


def _describe(err: BaseException) -> str:
    if isinstance(err, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in err.exceptions)
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
