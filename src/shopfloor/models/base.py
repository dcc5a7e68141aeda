"""Neutral message types and the one async seam every model adapter implements."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shopfloor.config.sections import Price


class TextPart(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ToolUsePart(BaseModel):
    """A tool call from the model; `input_error` is set when its arguments could not be parsed."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)
    input_error: str | None = None
    """The whole message for the model: what is wrong and what to do."""
    raw_input: str | None = None
    """The argument text exactly as the model sent it, kept when it could not be parsed."""


class ThinkingPart(BaseModel):
    """Model reasoning that must travel back verbatim (Anthropic rejects tool-use turns without it)."""

    type: Literal["thinking"] = "thinking"
    thinking: str = ""
    signature: str | None = None
    redacted_data: str | None = None


class ToolResultPart(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: str
    is_error: bool = False


Part = Annotated[TextPart | ToolUsePart | ToolResultPart | ThinkingPart, Field(discriminator="type")]


class Message(BaseModel):
    role: Literal["user", "assistant"]
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_uses(self) -> list[ToolUsePart]:
        return [p for p in self.parts if isinstance(p, ToolUsePart)]


class ToolSpec(BaseModel):
    """A tool as offered to a model."""

    name: str
    description: str
    input_schema: dict[str, Any]


class Usage(BaseModel):
    input_tokens: int = 0
    """Input billed at the plain rate (neither written to nor read from a cache)."""
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    """Every token written to a cache, whatever its lifetime."""
    cache_write_1h_tokens: int = 0
    """The part of `cache_write_tokens` kept for an hour (billed higher than a 5-minute write)."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens


class WebSearchOptions(BaseModel):
    """The provider's server-side web search, offered to the model for one request."""

    max_uses: int = 8
    allowed_domains: list[str] = Field(default_factory=list)
    blocked_domains: list[str] = Field(default_factory=list)


class WebSearchHit(BaseModel):
    title: str
    url: str
    page_age: str | None = None


class WebSearchResult(BaseModel):
    """One search the provider ran during a reply: its query and hits, or the error it gave."""

    query: str = ""
    hits: list[WebSearchHit] = Field(default_factory=list)
    error: str | None = None


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "other"]


CacheTTL = Literal["5m", "1h"]
"""How long a provider keeps a cached prompt prefix after its last use."""


class SystemPrompt(BaseModel):
    """A system prompt in the order prompt caching needs: what every task of an agent shares first, so
    providers cache it once for all of them, then what only this task has (its directory, git state)."""

    model_config = ConfigDict(frozen=True)

    shared: str = ""
    task: str = ""
    shared_ttl: CacheTTL = "5m"
    """How long to keep the shared prefix cached: "1h" when more tasks of the agent follow later."""

    @property
    def text(self) -> str:
        """The whole prompt, for providers that take one string."""
        return "\n\n".join(part for part in (self.shared, self.task) if part)


class ModelRequest(BaseModel):
    system: SystemPrompt
    """A plain string is accepted as a prompt with no per-task part."""
    messages: list[Message]
    tools: list[ToolSpec] = Field(default_factory=list)
    max_tokens: int = 8192
    web_search: WebSearchOptions | None = None
    """Offer the provider's own web search (Anthropic's `web_search` server tool) for this request."""

    @field_validator("system", mode="before")
    @classmethod
    def _plain_system(cls, value: object) -> object:
        return SystemPrompt(shared=value) if isinstance(value, str) else value


class ModelResponse(BaseModel):
    message: Message
    stop_reason: StopReason
    usage: Usage
    model: str
    web_searches: list[WebSearchResult] = Field(default_factory=list)
    """Searches the provider ran while answering (only when the request offered web search)."""


class ModelProfile(BaseModel):
    """What a model can do, as data: the loop reads this instead of checking adapter types."""

    provider: Literal["anthropic", "openai", "scripted"]
    model_id: str
    context_window: int = 200_000
    max_output_tokens: int = 8192
    supports_caching: bool = False
    parallel_tool_calls: bool = True
    price: Price | None = None

    def cost(self, usage: Usage) -> float | None:
        """Dollar cost of `usage`, or None when the price is unknown."""
        return self.price.cost(usage) if self.price else None

    def cache_saving(self, usage: Usage) -> float | None:
        """Dollars prompt caching saved on `usage` (see `Price.cache_saving`); None when unpriced."""
        return self.price.cache_saving(usage) if self.price else None


class ModelConfigError(ValueError):
    """A model cannot be set up (bad spec, missing key, unreadable script): a configuration error."""


class ModelError(Exception):
    """A model call failed for good (bad request, auth, exhausted retries)."""


class RetryableModelError(ModelError):
    """A transient failure: rate limit, overload, 5xx, dropped connection. `retry_after` in seconds."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ContextTooSmallError(ModelError):
    """The system prompt and tools alone do not fit the model's context window."""


class Model(Protocol):
    """One async call: neutral request in, neutral response out. Retries live inside the adapter."""

    @property
    def profile(self) -> ModelProfile: ...

    async def complete(self, request: ModelRequest) -> ModelResponse: ...

    async def check_fits(self, system: str, tools: list[ToolSpec]) -> None:
        """Raise ContextTooSmallError when the system prompt and tools alone overflow the window."""
        ...
