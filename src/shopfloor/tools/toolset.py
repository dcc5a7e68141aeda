"""A set of tools offered to one agent: schema export, name filtering, safe dispatch."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from shopfloor.models.base import ToolSpec
from shopfloor.tools.base import Tool, ToolError, ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.redact import redact

log = logging.getLogger(__name__)


def describe_validation_error(tool: str, err: ValidationError) -> str:
    """Turn pydantic's report into one line per problem, naming each parameter."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(input)"
        kind = e["type"]
        if kind == "missing":
            lines.append(f"The required parameter `{loc}` is missing")
        elif kind == "extra_forbidden":
            lines.append(f"An unexpected parameter `{loc}` was provided")
        else:
            lines.append(f"The parameter `{loc}` {e['msg'].lower()}")
    return f"InputValidationError: {tool} failed due to the following issue(s):\n" + "\n".join(lines)


class Toolset:
    """Tools by name, in a stable order."""

    def __init__(self, tools: Iterable[Tool[Any]]):
        self._tools: dict[str, Tool[Any]] = {t.name: t for t in tools}
        self._specs: list[ToolSpec] | None = None

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool[Any] | None:
        return self._tools.get(name)

    def filtered(self, allowed: Sequence[str] | None, denied: Sequence[str] = ()) -> Toolset:
        """Only the tools in `allowed` (None means all), minus `denied`."""
        keep = [t for n, t in self._tools.items() if (allowed is None or n in allowed) and n not in denied]
        return Toolset(keep)

    def replaced(self, tool: Tool[Any]) -> Toolset:
        """The same tools with `tool` in place of the one of its name (when there is one)."""
        return Toolset(tool if n == tool.name else t for n, t in self._tools.items())

    def specs(self) -> list[ToolSpec]:
        """The tools as offered to a model; built once, since the loop asks before every call."""
        if self._specs is None:
            self._specs = [
                ToolSpec(name=t.name, description=t.describe(), input_schema=t.input_schema())
                for t in self._tools.values()
            ]
        return list(self._specs)

    def is_read_only(self, name: str) -> bool:
        tool = self._tools.get(name)
        return bool(tool and tool.read_only)

    def extended(self, tools: Iterable[Tool[Any]]) -> Toolset:
        """These tools and `tools` after them (MCP servers' tools come after the built-in ones)."""
        return Toolset([*self._tools.values(), *tools])

    async def call(
        self, name: str, raw_input: Mapping[str, Any], ctx: ToolContext, call_id: str = ""
    ) -> ToolResult:
        """Run one call; every failure becomes an is_error result, never an exception.

        In Claude Code's order: the input is checked, PreToolUse hooks may refuse or change it, the
        rules decide, the tool runs, and PostToolUse hooks see (and may add to) its answer. The answer
        is redacted: what a tool read or a command printed reaches the model and the record without
        this process's secrets or anything shaped like a credential.
        """
        result = await self._call(name, raw_input, ctx, call_id)
        return ToolResult(redact(result.content), result.is_error)

    async def _call(
        self, name: str, raw_input: Mapping[str, Any], ctx: ToolContext, call_id: str
    ) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            available = ", ".join(self._tools) or "none"
            return ToolResult(
                f"Error: No such tool available: {name}. The tools you can use are: {available}.",
                is_error=True,
            )
        try:
            args = tool.input_model.model_validate(dict(raw_input))
        except ValidationError as err:
            return ToolResult(describe_validation_error(name, err), is_error=True)
        context = None
        if ctx.hooks is not None:
            verdict = await ctx.hooks.before_tool(name, _sent(args), call_id)
            if verdict.refusal is not None:
                return ToolResult(verdict.refusal, is_error=True)
            context = verdict.context
            if verdict.updated_input is not None:
                try:
                    args = tool.input_model.model_validate(verdict.updated_input)
                except ValidationError as err:
                    text = describe_validation_error(name, err)
                    return ToolResult(f"A PreToolUse hook changed the input, and then {text}", True)
        result = await self._checked_run(tool, args, ctx)
        if context:
            result = ToolResult(f"{result.content}\n\n{context}", result.is_error)
        if ctx.hooks is not None and not result.is_error:
            output = await ctx.hooks.after_tool(name, _sent(args), call_id, result.content)
            result = ToolResult(output, result.is_error)
        return result

    async def _checked_run(self, tool: Tool[Any], args: Any, ctx: ToolContext) -> ToolResult:
        name = tool.name
        if ctx.policy is not None:
            refusal = ctx.policy.refusal(name, _dump(args))
            if refusal is not None:
                return ToolResult(refusal, is_error=True)
        try:
            out = await tool.run(args, ctx)
        except ToolError as err:
            return ToolResult(str(err), is_error=True)
        except Exception as err:  # a tool bug must not end the run; the model sees what happened
            log.exception("tool %s crashed", name)
            return ToolResult(
                f"Error: {name} failed unexpectedly: {type(err).__name__}: {err}", is_error=True
            )
        return out if isinstance(out, ToolResult) else ToolResult(out)


def _dump(args: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = args.model_dump(by_alias=True, exclude_none=True)
    return dumped


def _sent(args: Any) -> dict[str, Any]:
    """The input as the model wrote it (what hooks see), without the defaults filled in."""
    sent: dict[str, Any] = args.model_dump(by_alias=True, exclude_unset=True)
    return sent
