"""A model that plays back scripted turns: the one fake for agent logic (tests, the demo)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import anyio

from shopfloor.config.sections import Price
from shopfloor.models.base import (
    Message,
    ModelError,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Part,
    TextPart,
    ThinkingPart,
    ToolSpec,
    ToolUsePart,
    Usage,
)
from shopfloor.models.context_window import ensure_fits, estimate_request_tokens, estimate_tokens
from shopfloor.models.script import (
    ScriptTurn,
    TurnLike,
    load_script,
    parse_turn,
    prompt_variables,
)
from shopfloor.models.tool_args import tool_call


class ScriptExhausted(ModelError):
    """The agent asked for more turns than the script has."""


class ScriptedModel:
    """Serves one scripted turn per call, with usage estimated from sizes.

    Usage pretends prompt caching works as it does with the Anthropic adapter (each call writes
    the new tail of the prompt and reads what the previous call cached), so that cost reports
    priced as a real model (`priced_as`, looked up by whoever builds the model) come out plausible.
    """

    def __init__(
        self,
        turns: Sequence[TurnLike],
        *,
        name: str = "scripted",
        priced_as: str | None = None,
        price: Price | None = None,
        context_window: int = 200_000,
        latency_s: float = 0.0,
    ):
        self.turns = [parse_turn(t, i) for i, t in enumerate(turns)]
        self.priced_as = priced_as
        self.latency_s = latency_s
        """Seconds each reply takes, as a provider's would (0: at once)."""
        self._profile = ModelProfile(
            provider="scripted",
            model_id=name,
            context_window=context_window,
            supports_caching=True,
            price=price,
        )
        self.requests: list[ModelRequest] = []
        self._next = 0
        self._cached_tokens = 0
        self._ids = 0

    @classmethod
    def from_file(
        cls, path: Path, *, price: Price | None = None, priced_as: str | None = None
    ) -> ScriptedModel:
        """Load a YAML/JSON script; `priced_as` overrides the file's own `priced_as`."""
        script = load_script(path)
        return cls(
            script.turns,
            name=f"scripted:{path}",
            priced_as=priced_as or script.priced_as,
            price=price,
            latency_s=script.latency_s,
        )

    @property
    def profile(self) -> ModelProfile:
        return self._profile

    @property
    def remaining(self) -> int:
        return max(0, len(self.turns) - self._next)

    async def check_fits(self, system: str, tools: list[ToolSpec]) -> None:
        ensure_fits(
            system,
            tools,
            window=self._profile.context_window,
            model_id=self._profile.model_id,
            source="profile",
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if self.latency_s:
            await anyio.sleep(self.latency_s)
        if self._next >= len(self.turns):
            raise ScriptExhausted(
                f"the script {self._profile.model_id} has no more turns (it has {len(self.turns)}); "
                "a scripted run must script every model call"
            )
        turn = self.turns[self._next]
        self._next += 1
        first_user = next((m.text for m in request.messages if m.role == "user"), "")
        turn = turn.filled(prompt_variables(first_user))
        message = Message(role="assistant", parts=self._parts(turn))
        usage = turn.usage or self._estimate_usage(request, message)
        return ModelResponse(
            message=message,
            stop_reason=turn.effective_stop_reason,
            usage=usage,
            model=self._profile.model_id,
            web_searches=turn.searches() if request.web_search is not None else [],
        )

    def _parts(self, turn: ScriptTurn) -> list[Part]:
        parts: list[Part] = []
        if turn.thinking:
            parts.append(ThinkingPart(thinking=turn.thinking, signature="scripted"))
        if turn.text:
            parts.append(TextPart(text=turn.text))
        for call in turn.tool_calls:
            self._ids += 1
            call_id = call.id or f"toolu_scripted_{self._ids:04d}"
            if call.raw_arguments is not None:
                parts.append(tool_call(call_id, call.tool, call.raw_arguments))
            else:
                parts.append(ToolUsePart(id=call_id, name=call.tool, input=call.input))
        return parts

    def _estimate_usage(self, request: ModelRequest, message: Message) -> Usage:
        prompt = estimate_request_tokens(request)
        read = min(self._cached_tokens, prompt)
        self._cached_tokens = prompt
        output = estimate_tokens(json.dumps(message.model_dump(), separators=(",", ":")))
        # A few uncached tokens always remain (the newest message's tail, formatting).
        return Usage(
            input_tokens=min(prompt, 4),
            output_tokens=max(1, output),
            cache_read_tokens=read,
            cache_write_tokens=max(0, prompt - read - 4),
        )
