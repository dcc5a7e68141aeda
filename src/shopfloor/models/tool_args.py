"""Turning a model's raw tool-argument text into a dict, or an error the loop can hand back."""

from __future__ import annotations

import json
from typing import Any

from shopfloor.models.base import ToolUsePart

_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_AGAIN = "Send the call again with the arguments as one JSON object."


def parse_tool_arguments(raw: str | None, tool_name: str) -> tuple[dict[str, Any], str | None]:
    """Parse `raw` JSON arguments; on failure return `({}, message)` instead of raising."""
    # Some servers send "" (or nothing) for a tool without parameters; that is an empty object.
    if raw is None or not raw.strip():
        return {}, None
    snippet = raw if len(raw) <= 200 else raw[:200] + "..."
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return (
            {},
            f"Error: the arguments for {tool_name} are not valid JSON ({exc}). You sent: {snippet}\n{_AGAIN}",
        )
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KINDS.get(type(value), type(value).__name__)
        return (
            {},
            f"Error: the arguments for {tool_name} must be a JSON object, not {kind}: {snippet} {_AGAIN}",
        )
    return value, None


def tool_call(call_id: str, name: str, raw: str | None) -> ToolUsePart:
    """A tool call from the argument text a model streamed; what it sent is kept when it does not parse."""
    args, error = parse_tool_arguments(raw, name)
    return ToolUsePart(id=call_id, name=name, input=args, input_error=error, raw_input=raw if error else None)
