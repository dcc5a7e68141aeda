"""Calling a tool in tests exactly as the agent loop does."""

from __future__ import annotations

from typing import Any

from shopfloor.tools.base import Tool, ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.toolset import Toolset


async def call(tool: Tool[Any], ctx: ToolContext, **raw: Any) -> ToolResult:
    """Call one tool the way the agent loop does: raw JSON-ish input through the toolset."""
    return await Toolset([tool]).call(tool.name, raw, ctx)
