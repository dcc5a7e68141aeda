"""JSON Schema generation for tool inputs, shaped the way model APIs expect it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_NULL = {"type": "null"}


def _compact(node: Any) -> Any:
    """No titles, and an optional field (`X | None = None`) offered as plain X: a model leaves it out
    rather than sending null. Every tool definition is paid for on every model call."""
    if isinstance(node, list):
        return [_compact(v) for v in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and _NULL in options:
        (kept,) = [o for o in options if o != _NULL]
        rest = {k: v for k, v in node.items() if k != "anyOf" and not (k == "default" and v is None)}
        node = {**rest, **kept}
    return {k: _compact(v) for k, v in node.items() if k != "title"}


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """A compact object schema: by-alias names, no titles, no null alternatives, no extra properties.

    Input still goes through `model`, so an explicit null from a model is accepted as before.
    """
    schema = _compact(model.model_json_schema(by_alias=True))
    schema["additionalProperties"] = False
    return dict(schema)
