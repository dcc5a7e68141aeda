"""Rendering a scripted turn as the Anthropic and OpenAI wire formats (JSON bodies and SSE events)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from shopfloor.models.base import Usage
from shopfloor.models.script import ScriptToolCall, ScriptTurn

TEXT_CHUNK = 24
JSON_CHUNK = 12

_OPENAI_FINISH = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "stop_sequence": "stop",
    "refusal": "content_filter",
    "other": "stop",
}


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event; `cut_here` marks where a cut-stream fault breaks off."""

    data: str
    event: str | None = None
    cut_here: bool = False

    def encode(self) -> bytes:
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {self.data}\n\n".encode()


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def call_arguments(call: ScriptToolCall) -> str:
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.input)


# --- Anthropic Messages -------------------------------------------------------------------------


def _search_blocks(turn: ScriptTurn) -> list[dict[str, Any]]:
    """`server_tool_use` and `web_search_tool_result` blocks for the turn's provider-run searches."""
    blocks: list[dict[str, Any]] = []
    for i, search in enumerate(turn.web_searches, 1):
        tool_id = f"srvtoolu_fake_{i:04d}"
        blocks.append(
            {"type": "server_tool_use", "id": tool_id, "name": "web_search", "input": {"query": search.query}}
        )
        content: Any
        if search.error is not None:
            content = {"type": "web_search_tool_result_error", "error_code": search.error}
        else:
            content = [
                {
                    "type": "web_search_result",
                    "title": hit.title,
                    "url": hit.url,
                    "encrypted_content": "fake-encrypted-content",
                    "page_age": hit.page_age,
                }
                for hit in search.results
            ]
        blocks.append({"type": "web_search_tool_result", "tool_use_id": tool_id, "content": content})
    return blocks


def anthropic_blocks(turn: ScriptTurn, ids: list[str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if turn.thinking:
        blocks.append({"type": "thinking", "thinking": turn.thinking, "signature": "fake-signature"})
    blocks += _search_blocks(turn)
    if turn.text:
        blocks.append({"type": "text", "text": turn.text})
    for call, call_id in zip(turn.tool_calls, ids, strict=True):
        try:
            args = json.loads(call_arguments(call))
        except json.JSONDecodeError:
            args = {}
        blocks.append({"type": "tool_use", "id": call_id, "name": call.tool, "input": args})
    return blocks


def anthropic_usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens - usage.cache_write_1h_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
    }


def anthropic_message(
    turn: ScriptTurn, *, model: str, msg_id: str, ids: list[str], usage: Usage
) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": anthropic_blocks(turn, ids),
        "stop_reason": turn.effective_stop_reason,
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }


def anthropic_events(
    turn: ScriptTurn, *, model: str, msg_id: str, ids: list[str], usage: Usage
) -> list[SseEvent]:
    """The full event sequence of a streamed message, with the cut point marked."""
    out: list[SseEvent] = []

    def emit(kind: str, payload: dict[str, Any], cut: bool = False) -> None:
        out.append(SseEvent(json.dumps({"type": kind, **payload}), event=kind, cut_here=cut))

    start_usage = anthropic_usage(usage) | {"output_tokens": 1}
    message = {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": []}
    emit(
        "message_start",
        {"message": message | {"stop_reason": None, "stop_sequence": None, "usage": start_usage}},
    )
    out.append(SseEvent(json.dumps({"type": "ping"}), event="ping"))
    index = 0
    cut_marked = False
    if turn.thinking:
        emit("content_block_start", {"index": index, "content_block": {"type": "thinking", "thinking": ""}})
        for piece in _pieces(turn.thinking, TEXT_CHUNK):
            emit(
                "content_block_delta",
                {"index": index, "delta": {"type": "thinking_delta", "thinking": piece}},
            )
        emit(
            "content_block_delta",
            {"index": index, "delta": {"type": "signature_delta", "signature": "fake-signature"}},
        )
        emit("content_block_stop", {"index": index})
        index += 1
    for block in _search_blocks(turn):
        if block["type"] == "server_tool_use":
            start = block | {"input": {}}
            emit("content_block_start", {"index": index, "content_block": start})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            emit("content_block_delta", {"index": index, "delta": delta})
        else:
            emit("content_block_start", {"index": index, "content_block": block})
        emit("content_block_stop", {"index": index})
        index += 1
    if turn.text:
        emit("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
        for piece in _pieces(turn.text, TEXT_CHUNK):
            cut = not cut_marked and not turn.tool_calls
            emit("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": piece}}, cut)
            cut_marked = cut_marked or cut
        emit("content_block_stop", {"index": index})
        index += 1
    for call, call_id in zip(turn.tool_calls, ids, strict=True):
        block = {"type": "tool_use", "id": call_id, "name": call.tool, "input": {}}
        emit("content_block_start", {"index": index, "content_block": block})
        for piece in _pieces(call_arguments(call), JSON_CHUNK):
            delta = {"type": "input_json_delta", "partial_json": piece}
            emit("content_block_delta", {"index": index, "delta": delta}, not cut_marked)
            cut_marked = True
        emit("content_block_stop", {"index": index})
        index += 1
    final = {"stop_reason": turn.effective_stop_reason, "stop_sequence": None}
    emit("message_delta", {"delta": final, "usage": {"output_tokens": usage.output_tokens}}, not cut_marked)
    emit("message_stop", {})
    return out


def anthropic_error(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


# --- OpenAI Chat Completions --------------------------------------------------------------------


def openai_usage(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
    }


def _openai_call(call: ScriptToolCall, call_id: str, arguments: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "function", "function": {"name": call.tool, "arguments": arguments}}
    if not call.omit_id:
        entry["id"] = call_id
    return entry


def openai_completion(
    turn: ScriptTurn, *, model: str, cmpl_id: str, ids: list[str], usage: Usage
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if turn.tool_calls:
        message["tool_calls"] = [
            _openai_call(c, i, call_arguments(c)) for c, i in zip(turn.tool_calls, ids, strict=True)
        ]
    return {
        "id": cmpl_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": _OPENAI_FINISH[turn.effective_stop_reason]}
        ],
        "usage": openai_usage(usage),
    }


def openai_events(
    turn: ScriptTurn, *, model: str, cmpl_id: str, ids: list[str], usage: Usage, include_usage: bool
) -> list[SseEvent]:
    created = int(time.time())
    out: list[SseEvent] = []
    cut_marked = False

    def chunk(delta: dict[str, Any], finish: str | None = None, cut: bool = False) -> None:
        body = {
            "id": cmpl_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        out.append(SseEvent(json.dumps(body), cut_here=cut))

    chunk({"role": "assistant", "content": ""})
    for piece in _pieces(turn.text or "", TEXT_CHUNK) if turn.text else []:
        cut = not cut_marked and not turn.tool_calls
        chunk({"content": piece}, cut=cut)
        cut_marked = cut_marked or cut
    for index, (call, call_id) in enumerate(zip(turn.tool_calls, ids, strict=True)):
        head = _openai_call(call, call_id, "") | {"index": index}
        chunk({"tool_calls": [head]})
        for piece in _pieces(call_arguments(call), JSON_CHUNK):
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, cut=not cut_marked)
            cut_marked = True
    chunk({}, finish=_OPENAI_FINISH[turn.effective_stop_reason], cut=not cut_marked)
    if include_usage:
        body = {
            "id": cmpl_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": openai_usage(usage),
        }
        out.append(SseEvent(json.dumps(body)))
    out.append(SseEvent("[DONE]"))
    return out


def openai_error(error_type: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
