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


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every `$ref` to `$defs` spelled out in place: some model servers ignore refs."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """A compact object schema: by-alias names, no titles, no null alternatives, nested objects in place,
    no extra properties.

    Input still goes through `model`, so an explicit null from a model is accepted as before.
    """
    schema = inline_refs(_compact(model.model_json_schema(by_alias=True)))
    schema["additionalProperties"] = False
    return dict(schema)
