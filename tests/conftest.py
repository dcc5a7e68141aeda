"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shopfloor.tools.context import ToolContext
from shopfloor.tools.shell import ShellSession
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
