"""What passes through the fake provider: faults to inject, recorded requests, responders."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from shopfloor.models.script import ScriptTurn, TurnLike, prompt_variables

FaultKind = Literal["status", "drop", "cut", "sse_error"]
ServerStyle = Literal["vllm", "llamacpp", "ollama"]


@dataclass(frozen=True)
class Fault:
    """A failure to answer one request with, instead of a turn."""

    kind: FaultKind
    status: int = 500
    retry_after: str | None = None
    retry_after_ms: str | None = None
    error_type: str | None = None
    message: str | None = None
    # What a cut or errored stream has started to say before it breaks (default: the next turn).
    partial: ScriptTurn | None = None

    @classmethod
    def rate_limited(cls, retry_after: str | None = "1", retry_after_ms: str | None = None) -> Fault:
        return cls("status", 429, retry_after=retry_after, retry_after_ms=retry_after_ms)

    @classmethod
    def overloaded(cls, retry_after: str | None = None) -> Fault:
        return cls("status", 529, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status)

    @classmethod
    def http_status(cls, status: int, message: str | None = None) -> Fault:
        return cls("status", status, message=message)

    @classmethod
    def dropped(cls) -> Fault:
        """Close the connection without answering."""
        return cls("drop")

    @classmethod
    def cut_stream(cls, partial: ScriptTurn | None = None) -> Fault:
        """Start streaming, then break the connection inside the first tool call's JSON."""
        return cls("cut", partial=partial)

    @classmethod
    def stream_error(cls, error_type: str = "overloaded_error", partial: ScriptTurn | None = None) -> Fault:
        """Start streaming, then send an SSE `error` event (OpenAI: an error chunk) and end."""
        return cls("sse_error", error_type=error_type, partial=partial)


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def api(self) -> Literal["anthropic", "openai", "other"]:
        if self.path == "/v1/messages":
            return "anthropic"
        if self.path == "/v1/chat/completions":
            return "openai"
        return "other"

    @property
    def streamed(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def system(self) -> str:
        """The system prompt text, from either wire format."""
        if self.api == "anthropic":
            system = self.body.get("system", "")
            return system if isinstance(system, str) else "".join(b.get("text", "") for b in system)
        return "".join(_text_of(m.get("content")) for m in self.messages if m.get("role") == "system")

    @property
    def tool_names(self) -> list[str]:
        tools = self.body.get("tools", []) if isinstance(self.body, dict) else []
        return [t.get("name") or t.get("function", {}).get("name", "") for t in tools]

    @property
    def first_user_text(self) -> str:
        for m in self.messages:
            if m.get("role") == "user":
                return _text_of(m.get("content"))
        return ""

    @property
    def variables(self) -> dict[str, str]:
        """`workdir` and `task_id` parsed from the task prompt."""
        return prompt_variables(self.first_user_text)

    @property
    def task_id(self) -> str | None:
        return self.variables.get("task_id")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


Responder = Callable[[RecordedRequest], "ScriptTurn | Fault | str | dict[str, Any] | None"]


def route_by_task(scripts: dict[str, list[TurnLike | Fault]]) -> Responder:
    """A responder serving each TASK_ID its own queue (for several agents sharing one server)."""
    queues = {task: deque(items) for task, items in scripts.items()}
    lock = threading.Lock()

    def respond(request: RecordedRequest) -> ScriptTurn | Fault | str | dict[str, Any] | None:
        with lock:
            queue = queues.get(request.task_id or "")
            return queue.popleft() if queue else None

    return respond
