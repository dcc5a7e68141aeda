"""Turning a model's raw tool-argument text into a dict, or an error the loop can hand back."""

from __future__ import annotations

import json
from typing import Any


def parse_tool_arguments(raw: str | None, tool_name: str) -> tuple[dict[str, Any], str | None]:
    """Parse `raw` JSON arguments; on failure return `({}, message)` instead of raising."""
    # Some servers send "" (or nothing) for a tool without parameters; that is an empty object.
    if raw is None or not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        snippet = raw if len(raw) <= 200 else raw[:200] + "..."
        return {}, (
            f"The arguments for tool {tool_name!r} are not valid JSON ({exc.msg} at line {exc.lineno} "
            f"column {exc.colno}). Received: {snippet}. Call the tool again with a JSON object."
        )
    if not isinstance(value, dict):
        return {}, (
            f"The arguments for tool {tool_name!r} must be a JSON object, "
            f"got {type(value).__name__}. Call the tool again with a JSON object."
        )
    return value, None
