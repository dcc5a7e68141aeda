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


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """A compact object schema: by-alias names, no titles, additionalProperties false."""
    schema = _strip_titles(model.model_json_schema(by_alias=True))
    schema["additionalProperties"] = False
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return dict(schema)
