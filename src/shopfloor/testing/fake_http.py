"""The request handler behind FakeProvider: routing, JSON and chunked SSE replies, injected faults."""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from shopfloor.models.base import Usage
from shopfloor.models.script import ScriptTurn
from shopfloor.testing import wire_formats as wire
from shopfloor.testing.exchange import Fault, RecordedRequest, ServerStyle

_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_OPENAI_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}


class ServedState(Protocol):
    """What the handler needs of the fake service it answers for (FakeProvider)."""

    context_window: int | None
    server_style: ServerStyle
    models: tuple[str, ...]

    def record(self, request: RecordedRequest) -> None: ...
    def next_item(self, request: RecordedRequest) -> ScriptTurn | Fault: ...
    def partial_for(self, fault: Fault, request: RecordedRequest) -> ScriptTurn: ...
    def new_id(self, prefix: str) -> str: ...
    def anthropic_usage(self, body: dict[str, Any], turn: ScriptTurn) -> Usage: ...
    def openai_usage(self, body: dict[str, Any], turn: ScriptTurn) -> Usage: ...


class FakeHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive and chunked streams, like the real services."""

    protocol_version = "HTTP/1.1"
    timeout = 60
    fake: ClassVar[ServedState]

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- routing --
    def do_GET(self) -> None:
        req = self._record(None)
        fake = self.fake
        if req.path == "/v1/models":
            self._json(200, self._models_listing(req))
        elif req.path == "/props" and fake.server_style == "llamacpp" and fake.context_window:
            self._json(200, {"default_generation_settings": {"n_ctx": fake.context_window}, "total_slots": 1})
        else:
            self._json(404, {"error": {"message": f"no route for GET {req.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        req = self._record(body)
        if req.api == "anthropic" and isinstance(body, dict):
            self._messages(req)
        elif req.api == "openai" and isinstance(body, dict):
            self._chat(req)
        elif req.path == "/api/show" and self.fake.server_style == "ollama" and self.fake.context_window:
            self._json(
                200,
                {
                    "parameters": f"num_ctx                        {self.fake.context_window}",
                    "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
                },
            )
        else:
            self._json(404, {"error": {"message": f"no route for POST {req.path}", "type": "not_found"}})

    def _record(self, body: Any) -> RecordedRequest:
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = RecordedRequest(method=self.command, path=path, headers=headers, body=body)
        self.fake.record(req)
        return req

    def _models_listing(self, req: RecordedRequest) -> dict[str, Any]:
        fake = self.fake
        if "anthropic-version" in req.headers:
            data: list[dict[str, Any]] = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in fake.models
            ]
            return {"data": data, "has_more": False, "first_id": fake.models[0], "last_id": fake.models[-1]}
        data = []
        for m in fake.models:
            entry: dict[str, Any] = {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
            if fake.server_style == "vllm" and fake.context_window:
                entry["max_model_len"] = fake.context_window
            data.append(entry)
        return {"object": "list", "data": data}

    # -- Anthropic Messages --
    def _messages(self, req: RecordedRequest) -> None:
        item = self.fake.next_item(req)
        fault = item if isinstance(item, Fault) else None
        if fault is not None and fault.kind == "status":
            message = fault.message or self._default_message(fault.status, req)
            error_type = _ANTHROPIC_ERROR_TYPES.get(fault.status, "api_error")
            self._json(fault.status, wire.anthropic_error(error_type, message), self._retry_headers(fault))
            return
        if fault is not None and (fault.kind == "drop" or (fault.kind == "cut" and not req.streamed)):
            self._drop()
            return
        turn = self.fake.partial_for(fault, req) if fault is not None else _as_turn(item)
        ids = [self.fake.new_id("toolu_fake") for _ in turn.tool_calls]
        usage = self.fake.anthropic_usage(req.body, turn)
        model = str(req.body.get("model", "fake-model"))
        msg_id = self.fake.new_id("msg_fake")
        error_type = (fault.error_type if fault else None) or "overloaded_error"
        error_body = wire.anthropic_error(
            error_type, "Overloaded" if error_type == "overloaded_error" else error_type
        )
        if not req.streamed:
            if fault is not None:  # an SSE error has no JSON form: answer with the status it stands for
                self._json(529 if error_type == "overloaded_error" else 500, error_body)
            else:
                self._json(
                    200, wire.anthropic_message(turn, model=model, msg_id=msg_id, ids=ids, usage=usage)
                )
            return
        events = wire.anthropic_events(turn, model=model, msg_id=msg_id, ids=ids, usage=usage)
        self._stream(events, fault, wire.SseEvent(json.dumps(error_body), event="error"))

    # -- OpenAI Chat Completions --
    def _chat(self, req: RecordedRequest) -> None:
        item = self.fake.next_item(req)
        fault = item if isinstance(item, Fault) else None
        if fault is not None and fault.kind == "status":
            message = fault.message or self._default_message(fault.status, req)
            error_type = _OPENAI_ERROR_TYPES.get(fault.status, "server_error")
            self._json(fault.status, wire.openai_error(error_type, message), self._retry_headers(fault))
            return
        if fault is not None and (fault.kind == "drop" or (fault.kind == "cut" and not req.streamed)):
            self._drop()
            return
        turn = self.fake.partial_for(fault, req) if fault is not None else _as_turn(item)
        ids = [self.fake.new_id("call_fake") for _ in turn.tool_calls]
        usage = self.fake.openai_usage(req.body, turn)
        model = str(req.body.get("model", "fake-model"))
        cmpl_id = self.fake.new_id("chatcmpl_fake")
        error_body = wire.openai_error("server_error", "The server is overloaded; try again.")
        if not req.streamed:
            if fault is not None:
                self._json(503, error_body)
            else:
                self._json(
                    200, wire.openai_completion(turn, model=model, cmpl_id=cmpl_id, ids=ids, usage=usage)
                )
            return
        options = req.body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage")) if isinstance(options, dict) else False
        events = wire.openai_events(
            turn, model=model, cmpl_id=cmpl_id, ids=ids, usage=usage, include_usage=include_usage
        )
        self._stream(events, fault, wire.SseEvent(json.dumps(error_body)))

    # -- replies --
    @staticmethod
    def _retry_headers(fault: Fault) -> dict[str, str]:
        headers = {}
        if fault.retry_after is not None:
            headers["retry-after"] = fault.retry_after
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = fault.retry_after_ms
        return headers

    @staticmethod
    def _default_message(status: int, req: RecordedRequest) -> str:
        if status == 401:
            # Echo the credential the way some gateways do, so clients must redact it.
            key = req.headers.get("x-api-key") or req.headers.get("authorization", "")
            return f"invalid credentials: {key}"
        return {429: "Rate limited", 529: "Overloaded"}.get(status, f"fake error {status}")

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: list[wire.SseEvent], fault: Fault | None, error_event: wire.SseEvent) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            self._chunk(event.encode())
            if fault is not None and event.cut_here:
                if fault.kind == "cut":
                    self._drop()
                    return
                self._chunk(error_event.encode())
                break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Break the connection without finishing the reply."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _as_turn(item: ScriptTurn | Fault) -> ScriptTurn:
    assert isinstance(item, ScriptTurn)
    return item
