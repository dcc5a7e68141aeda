"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shopfloor.tools.base import Tool, ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.toolset import Toolset
from shopfloor.workspace import ReadState, Workspace


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root.resolve()


@pytest.fixture
async def tool_ctx(workspace_dir: Path) -> AsyncIterator[ToolContext]:
    ws = Workspace(workspace_dir)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws))
    yield ctx
    await ctx.shell.aclose()


async def call(tool: Tool[Any], ctx: ToolContext, **raw: Any) -> ToolResult:
    """Call one tool the way the agent loop does: raw JSON-ish input through the toolset."""
    return await Toolset([tool]).call(tool.name, raw, ctx)
