"""JSON Schema generation for tool inputs, shaped the way model APIs expect it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


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
    """A compact object schema: by-alias names, no titles, nested objects in place, no extra keys."""
    schema = inline_refs(_strip_titles(model.model_json_schema(by_alias=True)))
    schema["additionalProperties"] = False
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return dict(schema)
