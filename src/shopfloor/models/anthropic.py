"""Anthropic Messages API adapter: streaming, prompt caching, shared-backoff retries."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shopfloor.models.base import (
    CacheTTL,
    Message,
    ModelConfigError,
    ModelError,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Part,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolSpec,
    ToolUsePart,
    Usage,
    WebSearchHit,
    WebSearchResult,
)
from shopfloor.models.context_window import ensure_fits
from shopfloor.models.prefix_gate import prefix_key
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
from shopfloor.models.tool_args import parse_tool_arguments, tool_call

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import RawMessageStreamEvent

EPHEMERAL = {"type": "ephemeral"}
LONG_LIVED = {"type": "ephemeral", "ttl": "1h"}
DEFAULT_BASE_URL = "https://api.anthropic.com"

# An `error` event inside a 200 stream carries only its type; map it to the status it stands for.
SSE_ERROR_STATUS = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
}

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
}


class AnthropicModel:
    """A Claude model over the Messages API. Retries (and the SDK's disabled ones) are ours."""

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
    ):
        from anthropic import AsyncAnthropic

        self.model_id = model_id
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        if not (api_key or os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
            raise ModelConfigError(
                f"ANTHROPIC_API_KEY is not set, so anthropic:{model_id} cannot be used. Set it (and "
                "ANTHROPIC_BASE_URL for a gateway), or pick another model with --model."
            )
        self._api_key = api_key
        self._client: AsyncAnthropic = AsyncAnthropic(
            api_key=api_key, base_url=self.base_url, max_retries=0, timeout=timeout_s
        )
        self._profile = profile or ModelProfile(
            provider="anthropic", model_id=model_id, supports_caching=True
        )
        self._policy = policy or RetryPolicy()
        key = f"anthropic:{self.base_url.rstrip('/')}"
        self.backoff: ProviderBackoff = (backoffs or BackoffRegistry()).get(key)

    @property
    def profile(self) -> ModelProfile:
        return self._profile

    async def aclose(self) -> None:
        await self._client.close()

    async def check_fits(self, system: str, tools: list[ToolSpec]) -> None:
        ensure_fits(
            system, tools, window=self._profile.context_window, model_id=self.model_id, source="profile"
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        params = self.request_params(request)
        key = prefix_key(self.model_id, request) if self._profile.supports_caching else None
        begun = await self.backoff.prefixes.turn(key)
        try:
            return await call_with_retries(
                lambda: self._stream_once(params, begun),
                policy=self._policy,
                backoff=self.backoff,
                what=f"Anthropic model {self.model_id}",
            )
        finally:
            begun()

    def request_params(self, request: ModelRequest) -> dict[str, Any]:
        """The Messages API body for `request`, with cache breakpoints when the profile allows.

        Tools, then the shared part of the system prompt, end in breakpoints kept for `shared_ttl`:
        one cached prefix that every task of the agent reads. The task's own part of the system prompt
        follows outside it, and the newest message carries a 5-minute breakpoint for the conversation.
        The longer-lived breakpoints come first, as the API requires.
        """
        cache = self._profile.supports_caching
        system = request.system
        shared_mark = _cache_control(system.shared_ttl)
        params: dict[str, Any] = {
            "model": self.model_id,
            "max_tokens": request.max_tokens,
            "messages": [_message_to_wire(m) for m in request.messages],
        }
        blocks: list[dict[str, Any]] = []
        if system.shared:
            blocks.append({"type": "text", "text": system.shared})
            if cache:
                blocks[-1]["cache_control"] = shared_mark
        if system.task:
            blocks.append({"type": "text", "text": system.task})
        if blocks:
            params["system"] = blocks
        if request.tools:
            tools = [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in request.tools
            ]
            if cache:
                tools[-1]["cache_control"] = shared_mark
            params["tools"] = tools
        if request.web_search is not None:
            params.setdefault("tools", []).append(web_search_tool(request))
        if cache and params["messages"]:
            _mark_newest_block(params["messages"][-1])
        return params

    async def _stream_once(self, params: dict[str, Any], begun: Callable[[], None]) -> ModelResponse:
        import anthropic
        import httpx2

        secrets = [self._api_key, os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_AUTH_TOKEN")]
        acc = _StreamAccumulator(self.model_id)
        try:
            stream = await self._client.messages.create(**params, stream=True)
            async with stream:
                async for event in stream:
                    begun()  # the prompt is cached once the answer starts: waiting requests may go
                    acc.feed(event)
        except anthropic.APIStatusError as exc:
            status = exc.status_code
            if status < 400:  # an `error` event mid-stream
                status = SSE_ERROR_STATUS.get(str(exc.type or ""), 500)
            detail = exc.api_message or str(exc.type or "") or exc.message
            raise status_error(
                "Anthropic", status, detail, headers=dict(exc.response.headers), secrets=secrets
            ) from None
        except anthropic.APIConnectionError as exc:
            if refused(exc):
                raise unreachable_error("Anthropic", self.base_url, "ANTHROPIC_BASE_URL") from None
            raise connection_error("Anthropic", f"{exc.message} ({self.base_url})") from None
        except httpx2.RequestError as exc:
            raise connection_error(
                "Anthropic", f"the response stream broke off ({type(exc).__name__})"
            ) from None
        except anthropic.AnthropicError as exc:
            raise ModelError(f"Anthropic client error: {exc}") from None
        return acc.finish()


WEB_SEARCH_TOOL = "web_search_20250305"


def web_search_tool(request: ModelRequest) -> dict[str, Any]:
    """The Messages API's server-side web search tool, as the request asks for it."""
    options = request.web_search
    assert options is not None
    tool: dict[str, Any] = {"type": WEB_SEARCH_TOOL, "name": "web_search", "max_uses": options.max_uses}
    if options.allowed_domains:
        tool["allowed_domains"] = list(options.allowed_domains)
    if options.blocked_domains:
        tool["blocked_domains"] = list(options.blocked_domains)
    return tool


def _message_to_wire(message: Message) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:  # the API rejects empty text blocks
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolUsePart):
            blocks.append({"type": "tool_use", "id": part.id, "name": part.name, "input": part.input})
        elif isinstance(part, ToolResultPart):
            result: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": part.tool_use_id,
                "content": part.content or "(no output)",
            }
            if part.is_error:
                result["is_error"] = True
            blocks.append(result)
        elif part.redacted_data is not None:
            blocks.append({"type": "redacted_thinking", "data": part.redacted_data})
        elif part.signature:  # unsigned thinking (from another provider) cannot be sent back
            blocks.append({"type": "thinking", "thinking": part.thinking, "signature": part.signature})
    if not blocks:
        blocks.append({"type": "text", "text": "(empty)"})
    return {"role": message.role, "content": blocks}


def _cache_control(ttl: CacheTTL) -> dict[str, str]:
    return dict(LONG_LIVED if ttl == "1h" else EPHEMERAL)


def _mark_newest_block(message: dict[str, Any]) -> None:
    for block in reversed(message["content"]):
        if block["type"] not in ("thinking", "redacted_thinking"):
            block["cache_control"] = EPHEMERAL
            return


class _StreamAccumulator:
    """Builds the final neutral response from raw stream events."""

    def __init__(self, model_id: str):
        self.model = model_id
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.done = False

    def feed(self, event: RawMessageStreamEvent) -> None:
        if event.type == "message_start":
            self.model = event.message.model or self.model
            u = event.message.usage
            split = u.cache_creation
            self.usage = Usage(
                input_tokens=u.input_tokens or 0,
                output_tokens=u.output_tokens or 0,
                cache_write_tokens=u.cache_creation_input_tokens or 0,
                cache_read_tokens=u.cache_read_input_tokens or 0,
                cache_write_1h_tokens=(split.ephemeral_1h_input_tokens or 0) if split else 0,
            )
        elif event.type == "content_block_start":
            block = event.content_block
            entry: dict[str, Any] = {"type": block.type, "text": "", "json": []}
            if block.type in ("tool_use", "server_tool_use"):
                entry.update(id=block.id, name=block.name, input=block.input)
            elif block.type == "web_search_tool_result":
                entry.update(tool_use_id=block.tool_use_id, content=block.content)
            elif block.type == "thinking":
                entry.update(text=block.thinking, signature=block.signature or None)
            elif block.type == "redacted_thinking":
                entry.update(data=block.data)
            elif block.type == "text":
                entry.update(text=block.text)
            self.blocks[event.index] = entry
        elif event.type == "content_block_delta":
            entry = self.blocks.setdefault(event.index, {"type": "unknown", "text": "", "json": []})
            delta = event.delta
            if delta.type == "text_delta":
                entry["text"] += delta.text
            elif delta.type == "input_json_delta":
                entry["json"].append(delta.partial_json)
            elif delta.type == "thinking_delta":
                entry["text"] += delta.thinking
            elif delta.type == "signature_delta":
                entry["signature"] = (entry.get("signature") or "") + delta.signature
        elif event.type == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            # message_delta counts are cumulative; absent ones keep the message_start figure.
            d = event.usage
            self.usage = Usage(
                input_tokens=_or(d.input_tokens, self.usage.input_tokens),
                output_tokens=d.output_tokens,
                cache_write_tokens=_or(d.cache_creation_input_tokens, self.usage.cache_write_tokens),
                cache_read_tokens=_or(d.cache_read_input_tokens, self.usage.cache_read_tokens),
                cache_write_1h_tokens=self.usage.cache_write_1h_tokens,
            )
        elif event.type == "message_stop":
            self.done = True

    def finish(self) -> ModelResponse:
        if not self.done:
            # Proxies sometimes end a cut stream cleanly; without message_stop the turn is incomplete.
            raise connection_error("Anthropic", "the response stream ended before message_stop")
        parts: list[Part] = []
        for _, entry in sorted(self.blocks.items()):
            kind = entry["type"]
            if kind == "text" and entry["text"]:
                parts.append(TextPart(text=entry["text"]))
            elif kind == "tool_use":
                if entry["json"]:
                    parts.append(tool_call(entry["id"], entry["name"], "".join(entry["json"])))
                else:
                    parts.append(
                        ToolUsePart(id=entry["id"], name=entry["name"], input=dict(entry.get("input") or {}))
                    )
            elif kind == "thinking":
                parts.append(ThinkingPart(thinking=entry["text"], signature=entry.get("signature")))
            elif kind == "redacted_thinking":
                parts.append(ThinkingPart(redacted_data=entry["data"]))
        stop = _STOP_REASONS.get(self.stop_reason or "", "other")
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            stop_reason=stop,
            usage=self.usage,
            model=self.model,
            web_searches=self._searches(),
        )

    def _searches(self) -> list[WebSearchResult]:
        """Each `web_search` the server ran, paired with its `web_search_tool_result` block."""
        queries: dict[str, str] = {}
        out: list[WebSearchResult] = []
        for _, entry in sorted(self.blocks.items()):
            if entry["type"] == "server_tool_use" and entry.get("name") == "web_search":
                args = dict(entry.get("input") or {})
                if entry["json"]:
                    args, _ = parse_tool_arguments("".join(entry["json"]), "web_search")
                queries[entry["id"]] = str(args.get("query", ""))
            elif entry["type"] == "web_search_tool_result":
                query = queries.get(entry["tool_use_id"], "")
                content = entry["content"]
                if isinstance(content, list):
                    hits = [
                        WebSearchHit(title=r.title, url=r.url, page_age=getattr(r, "page_age", None))
                        for r in content
                    ]
                    out.append(WebSearchResult(query=query, hits=hits))
                else:
                    out.append(
                        WebSearchResult(query=query, error=str(getattr(content, "error_code", content)))
                    )
        return out


def _or(value: int | None, fallback: int) -> int:
    return fallback if value is None else value
