"""A tool an MCP server provides, offered to the model as `mcp__<server>__<tool>`.

The tool only forwards: its server connection (`tools/mcp_client.py`) makes the call, and every
failure (a server that never started, one that died, a call that timed out) is a tool error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import ConfigDict

from shopfloor.tools.base import Tool, ToolInput, ToolResult

if TYPE_CHECKING:
    from shopfloor.tools.context import ToolContext

__all__ = ["McpInput", "McpToolInfo", "ServerCall", "mcp_tool", "mcp_tool_name"]


class McpInput(ToolInput):
    """Whatever the server's schema asks for: the server checks it."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class McpToolInfo:
    """One tool as its server lists it."""

    server: str
    """The server's key (its name with anything but letters, digits, `_` and `-` as `_`)."""
    name: str
    description: str
    input_schema: dict[str, Any] = field(default_factory=dict)
    read_only: bool = False
    """The server's `readOnlyHint`."""

    @property
    def full_name(self) -> str:
        return mcp_tool_name(self.server, self.name)


class ServerCall(Protocol):
    """Calls one tool on a running server; never raises, every failure is an error result."""

    async def __call__(self, tool: str, arguments: dict[str, Any]) -> ToolResult: ...


def mcp_tool_name(server: str, tool: str) -> str:
    return f"mcp__{server}__{tool}"


class _McpTool(Tool[McpInput]):
    input_model: ClassVar[type[ToolInput]] = McpInput
    info: ClassVar[McpToolInfo]
    call: ClassVar[ServerCall]

    async def run(self, args: McpInput, ctx: ToolContext) -> ToolResult:
        return await type(self).call(self.info.name, dict(args.model_extra or {}))

    @classmethod
    def input_schema(cls) -> dict[str, Any]:
        schema = dict(cls.info.input_schema) or {"type": "object", "properties": {}}
        schema.setdefault("type", "object")
        return schema


def mcp_tool(info: McpToolInfo, call: ServerCall) -> Tool[Any]:
    """A Tool for one server tool (a class of its own, since a tool's name is a class attribute)."""
    attrs = {
        "name": info.full_name,
        "description": info.description or f"The {info.name} tool of the {info.server} MCP server.",
        "read_only": info.read_only,
        "info": info,
        "call": staticmethod(call),
    }
    cls = type(f"McpTool_{info.server}_{info.name}", (_McpTool,), attrs)
    tool: Tool[Any] = cls()
    return tool
