"""OpenAI Chat Completions adapter, for OpenAI and compatible local servers (Ollama, vLLM, llama.cpp).

Responses are streamed (with `stream_options.include_usage`) by default: the per-read timeout
then measures a stalled server rather than a long answer from a slow local model, and a stream
that breaks off is detected and retried like the Anthropic one. `stream=False` is there for
servers whose streaming of tool calls is broken.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from shopfloor.models.base import (
    Message,
    ModelConfigError,
    ModelError,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Part,
    StopReason,
    TextPart,
    ToolResultPart,
    ToolSpec,
    ToolUsePart,
    Usage,
)
from shopfloor.models.context_window import (
    ensure_fits,
    estimate_request_tokens,
    estimate_tokens,
    probe_served_context_window,
)
from shopfloor.models.retry import (
    BackoffRegistry,
    ProviderBackoff,
    RetryPolicy,
    call_with_retries,
    connection_error,
    refused,
    status_error,
    unreachable_error,
)
from shopfloor.models.tool_args import tool_call

if TYPE_CHECKING:
    from openai import AsyncOpenAI

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers want some key on the wire but ignore its value.
PLACEHOLDER_KEY = "not-needed"

_FINISH: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


class OpenAIModel:
    """A chat model behind an OpenAI-compatible endpoint."""

    def __init__(
        self,
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        profile: ModelProfile | None = None,
        policy: RetryPolicy | None = None,
        backoffs: BackoffRegistry | None = None,
        timeout_s: float = 600.0,
        stream: bool = True,
        probe_timeout_s: float = 2.0,
    ):
        from openai import AsyncOpenAI

        self.model_id = model_id
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        # Anything but OpenAI's own endpoint: probed for its served window, sent `max_tokens`.
        self.is_local = "api.openai.com" not in self.base_url
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if not self.is_local:
                raise ModelConfigError(
                    f"OPENAI_API_KEY is not set, so openai:{model_id} cannot be used "
                    "(set OPENAI_BASE_URL too when pointing at a local server)."
                )
            key = PLACEHOLDER_KEY
        self._api_key = key
        self._client: AsyncOpenAI = AsyncOpenAI(
            api_key=key, base_url=self.base_url, max_retries=0, timeout=timeout_s
        )
        self._profile = profile or ModelProfile(provider="openai", model_id=model_id, context_window=128_000)
        self._policy = policy or RetryPolicy()
        self._stream = stream
        self._probe_timeout_s = probe_timeout_s
        self._window: tuple[int, str] | None = None
        self._served_window = False
        self.backoff: ProviderBackoff = (backoffs or BackoffRegistry()).get(f"openai:{self.base_url}")

    @property
    def profile(self) -> ModelProfile:
        return self._profile

    async def aclose(self) -> None:
        await self._client.close()

    async def context_window(self) -> tuple[int, str]:
        """(tokens, source): what a local server reports it serves, else the profile's figure."""
        if self._window is None:
            found = None
            if self.is_local:
                found = await probe_served_context_window(
                    self.base_url, self.model_id, api_key=self._api_key, timeout_s=self._probe_timeout_s
                )
            if found is not None:
                self._profile = self._profile.model_copy(update={"context_window": found[0]})
                self._served_window = True
            self._window = found or (self._profile.context_window, "profile")
        return self._window

    async def check_fits(self, system: str, tools: list[ToolSpec]) -> None:
        window, source = await self.context_window()
        ensure_fits(system, tools, window=window, model_id=self.model_id, source=source)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        window, _ = await self.context_window()
        params = self.request_params(request, window=window if self._served_window else None)
        once = self._stream_once if self._stream else self._create_once
        return await call_with_retries(
            lambda: once(params, request),
            policy=self._policy,
            backoff=self.backoff,
            what=f"OpenAI-compatible model {self.model_id} at {self.base_url}",
        )

    def request_params(self, request: ModelRequest, *, window: int | None = None) -> dict[str, Any]:
        max_tokens = request.max_tokens
        if window is not None:
            # vLLM and llama.cpp reject prompt + max_tokens beyond the served window; leave room instead.
            room = window - estimate_request_tokens(request) - 64
            max_tokens = max(256, min(max_tokens, room))
        params: dict[str, Any] = {"model": self.model_id, "messages": to_chat_messages(request)}
        # OpenAI's own reasoning models only take max_completion_tokens; local servers know max_tokens.
        params["max_tokens" if self.is_local else "max_completion_tokens"] = max_tokens
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
                }
                for t in request.tools
            ]
        if self._stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        return params

    async def _stream_once(self, params: dict[str, Any], request: ModelRequest) -> ModelResponse:
        acc = _ChatAccumulator(self.model_id, turn_no=len(request.messages))
        async with self._errors():
            stream = await self._client.chat.completions.create(**params)
            async with stream:
                async for chunk in stream:
                    acc.feed_chunk(chunk)
        if acc.finish_reason is None:
            raise connection_error("OpenAI", "the response stream ended before a finish_reason")
        return acc.finish(request)

    async def _create_once(self, params: dict[str, Any], request: ModelRequest) -> ModelResponse:
        acc = _ChatAccumulator(self.model_id, turn_no=len(request.messages))
        async with self._errors():
            response = await self._client.chat.completions.create(**params)
        acc.feed_response(response)
        return acc.finish(request)

    def _errors(self) -> _ErrorTranslator:
        return _ErrorTranslator([self._api_key, os.environ.get("OPENAI_API_KEY")], self.base_url)


class _ErrorTranslator:
    """Context manager that turns SDK and transport failures into neutral model errors."""

    def __init__(self, secrets: list[str | None], base_url: str):
        self.secrets = secrets
        self.base_url = base_url

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, ModelError):
            return False
        import httpx2
        import openai

        if isinstance(exc, openai.APIStatusError):
            headers = dict(exc.response.headers)
            raise status_error(
                "OpenAI", exc.status_code, exc.message, headers=headers, secrets=self.secrets
            ) from None
        if isinstance(exc, openai.APIConnectionError):
            if refused(exc):
                raise unreachable_error("OpenAI-compatible", self.base_url, "OPENAI_BASE_URL") from None
            raise connection_error("OpenAI", f"{exc.message} ({self.base_url})") from None
        if isinstance(exc, openai.APIError):  # an error object inside a 200 stream
            kind = f"{exc.type or ''} {exc.code or ''}"
            status = 400 if "invalid_request" in kind else 429 if "rate_limit" in kind else 500
            raise status_error("OpenAI", status, exc.message, secrets=self.secrets) from None
        if isinstance(exc, httpx2.RequestError):
            raise connection_error(
                "OpenAI", f"the response stream broke off ({type(exc).__name__})"
            ) from None
        if isinstance(exc, openai.OpenAIError):
            raise ModelError(f"OpenAI client error: {exc}") from None
        return False


def to_chat_messages(request: ModelRequest) -> list[dict[str, Any]]:
    """Neutral conversation to Chat Completions messages (system first, tool results as `tool` role)."""
    out: list[dict[str, Any]] = []
    if request.system.text:
        out.append({"role": "system", "content": request.system.text})
    for message in request.messages:
        if message.role == "assistant":
            calls = message.tool_uses
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or (None if calls else "")}
            if calls:
                entry["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.input)},
                    }
                    for c in calls
                ]
            out.append(entry)
            continue
        # Tool results must directly follow the assistant turn that asked for them.
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                content = part.content or "(no output)"
                if part.is_error and not content.lower().startswith("error"):
                    content = f"Error: {content}"
                out.append({"role": "tool", "tool_call_id": part.tool_use_id, "content": content})
        if message.text:
            out.append({"role": "user", "content": message.text})
    return out


class _ChatAccumulator:
    def __init__(self, model_id: str, *, turn_no: int):
        self.model = model_id
        self.turn_no = turn_no
        self.text: list[str] = []
        self.calls: dict[Any, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: Any = None

    def feed_chunk(self, chunk: Any) -> None:
        self.model = getattr(chunk, "model", None) or self.model
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        for choice in getattr(chunk, "choices", None) or []:
            if getattr(choice, "index", 0) not in (0, None):
                continue
            delta = choice.delta
            if delta is not None:
                if getattr(delta, "content", None):
                    self.text.append(delta.content)
                for tc in getattr(delta, "tool_calls", None) or []:
                    self._add_call_delta(tc)
            if getattr(choice, "finish_reason", None):
                self.finish_reason = choice.finish_reason

    def _add_call_delta(self, tc: Any) -> None:
        index = getattr(tc, "index", None)
        call_id = getattr(tc, "id", None) or None
        fn = getattr(tc, "function", None)
        name = getattr(fn, "name", None) if fn is not None else None
        args = getattr(fn, "arguments", None) if fn is not None else None
        if index is not None:
            key: Any = index
        elif call_id is not None:
            key = call_id
        elif name or not self.calls:
            key = len(self.calls)  # no index and no id: a name starts a new call
        else:
            key = list(self.calls)[-1]
        entry = self.calls.setdefault(key, {"id": None, "name": "", "args": []})
        if call_id:
            entry["id"] = call_id
        if name:
            entry["name"] = name
        if isinstance(args, dict):
            entry["args"] = [json.dumps(args)]
        elif args:
            entry["args"].append(args)

    def feed_response(self, response: Any) -> None:
        self.model = getattr(response, "model", None) or self.model
        self.usage = getattr(response, "usage", None)
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise connection_error("OpenAI", "the response had no choices")
        choice = choices[0]
        message = choice.message
        if getattr(message, "content", None):
            self.text.append(message.content)
        for i, tc in enumerate(getattr(message, "tool_calls", None) or []):
            fn = getattr(tc, "function", None)
            args = getattr(fn, "arguments", None)
            self.calls[i] = {
                "id": getattr(tc, "id", None) or None,
                "name": getattr(fn, "name", None) or "",
                "args": [json.dumps(args) if isinstance(args, dict) else (args or "")],
            }
        self.finish_reason = getattr(choice, "finish_reason", None) or "stop"

    def finish(self, request: ModelRequest) -> ModelResponse:
        parts: list[Part] = []
        text = "".join(self.text)
        if text:
            parts.append(TextPart(text=text))
        for i, entry in enumerate(self.calls.values()):
            name = entry["name"] or "unknown_tool"
            # Stable when the server gives no id: same conversation position, same id.
            call_id = entry["id"] or f"call_{self.turn_no}_{i}"
            parts.append(tool_call(call_id, name, "".join(entry["args"])))
        message = Message(role="assistant", parts=parts)
        stop = _FINISH.get(self.finish_reason or "", "other")
        if any(isinstance(p, ToolUsePart) for p in parts):
            stop = "tool_use"  # several local servers say "stop" even when they called tools
        return ModelResponse(
            message=message, stop_reason=stop, usage=self._usage(request, message), model=self.model
        )

    def _usage(self, request: ModelRequest, message: Message) -> Usage:
        u = self.usage
        if u is None:
            # Some compatible servers send no usage; estimate so budgets still bite.
            return Usage(
                input_tokens=estimate_request_tokens(request),
                output_tokens=estimate_tokens(json.dumps(message.model_dump())),
            )
        details = getattr(u, "prompt_tokens_details", None)
        cached = (getattr(details, "cached_tokens", None) or 0) if details is not None else 0
        prompt = getattr(u, "prompt_tokens", None) or 0
        return Usage(
            input_tokens=max(0, prompt - cached),
            output_tokens=getattr(u, "completion_tokens", None) or 0,
            cache_read_tokens=cached,
        )
