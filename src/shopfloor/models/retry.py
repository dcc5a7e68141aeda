"""Retries with backoff, and the per-provider pause that every agent of a run shares.

Adapters translate SDK failures into `RetryableModelError` / `ModelError` (see `status_error`);
`call_with_retries` retries the retryable ones. A 429 or 529 also pauses the provider's
`ProviderBackoff`, so every other caller holds its next request until the pause has passed: a
fan-out of agents slows down together instead of each hammering a saturated endpoint.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import anyio

from shopfloor.models.base import ModelError, RetryableModelError
from shopfloor.models.prefix_gate import PrefixGate

T = TypeVar("T")

THROTTLE_STATUSES = frozenset({429, 529})
# 408 (request timeout) and 409 (conflict/lock) are transient on both APIs.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one model call."""

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    # A server that asks for a longer pause than this ends the call; the orchestrator decides.
    max_retry_after_s: float = 600.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based); never less than retry_after."""
        exp = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        exp *= 1.0 - self.jitter * rng.random()
        if retry_after is None:
            return exp
        # Honour the server's figure, plus a little spread so held callers do not wake in lockstep.
        return max(retry_after, exp) + retry_after * self.jitter * 0.2 * rng.random()


@dataclass(frozen=True)
class ThrottleEvent:
    """A 429/529 seen on a provider: what the orchestrator hears through `on_throttle`."""

    provider: str
    status: int | None
    pause_s: float
    throttled_count: int


ThrottleListener = Callable[[ThrottleEvent], None]


class PauseBoard(Protocol):
    """A provider pause kept outside this process, so callers on other processes or machines (a cluster's
    workers) hold for it too. Figures are real seconds."""

    def post(self, key: str, pause_s: float) -> None:
        """Hold every caller of `key` for `pause_s` seconds from now (fire and forget)."""
        ...

    async def remaining(self, key: str) -> float:
        """Seconds until callers of `key` may send again (0 when not paused)."""
        ...


@dataclass
class ProviderBackoff:
    """Pause state for one provider endpoint, shared by every model object that calls it.

    `time_scale` multiplies real sleeps (tests and benches use a tiny one); recorded figures
    (`waits`, `holds`, `pause_remaining`) stay in unscaled seconds.
    """

    key: str
    time_scale: float = 1.0
    throttled_count: int = 0
    retry_count: int = 0
    waits: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)
    listeners: list[ThrottleListener] = field(default_factory=list)
    prefixes: PrefixGate = field(default_factory=PrefixGate)
    """Prompt prefixes being cached right now: parallel tasks wait for the first to start, then read it."""
    board: PauseBoard | None = None
    """Where other processes' pauses of this provider are seen, when the run spans several."""
    _paused_until: float = 0.0

    def pause_remaining(self) -> float:
        """Seconds until callers may send again (0 when not paused)."""
        return max(0.0, (self._paused_until - time.monotonic()) / self.time_scale)

    @property
    def paused_until(self) -> float:
        """`time.monotonic()` value at which the current pause ends (real time)."""
        return self._paused_until

    def throttle(self, status: int | None, pause_s: float) -> None:
        """Record a rate-limit/overload answer and hold every caller for `pause_s` seconds."""
        self.throttled_count += 1
        until = time.monotonic() + pause_s * self.time_scale
        self._paused_until = max(self._paused_until, until)
        if self.board is not None:
            self.board.post(self.key, pause_s * self.time_scale)
        event = ThrottleEvent(self.key, status, pause_s, self.throttled_count)
        for listener in list(self.listeners):
            listener(event)

    async def wait_if_paused(self, rng: random.Random | None = None) -> None:
        """Hold the caller while the provider is paused (here, or on the shared board)."""
        remaining = await self._remaining()
        while remaining > 0:
            spread = remaining * 0.1 * (rng or random).random()
            self.holds.append(remaining + spread)
            await anyio.sleep((remaining + spread) * self.time_scale)
            remaining = await self._remaining()

    async def _remaining(self) -> float:
        here = self.pause_remaining()
        if self.board is None:
            return here
        return max(here, await self.board.remaining(self.key) / self.time_scale)

    async def sleep_before_retry(self, seconds: float) -> None:
        self.retry_count += 1
        self.waits.append(seconds)
        await anyio.sleep(seconds * self.time_scale)


class BackoffRegistry:
    """One `ProviderBackoff` per provider endpoint; create one per run and hand it to every model."""

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        on_throttle: ThrottleListener | None = None,
        board: PauseBoard | None = None,
    ):
        self.time_scale = time_scale
        self._on_throttle = on_throttle
        self.board = board
        """Shared with other processes' registries (a cluster's workers); None within one process."""
        self._by_key: dict[str, ProviderBackoff] = {}

    def get(self, key: str) -> ProviderBackoff:
        backoff = self._by_key.get(key)
        if backoff is None:
            backoff = ProviderBackoff(key, time_scale=self.time_scale, board=self.board)
            if self._on_throttle is not None:
                backoff.listeners.append(self._on_throttle)
            self._by_key[key] = backoff
        return backoff

    def __iter__(self) -> Iterator[ProviderBackoff]:
        return iter(list(self._by_key.values()))

    @property
    def throttled_count(self) -> int:
        return sum(b.throttled_count for b in self._by_key.values())


async def call_with_retries(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    backoff: ProviderBackoff,
    what: str,
    rng: random.Random | None = None,
) -> T:
    """Run `fn` (one whole model call, stream included), retrying `RetryableModelError`s."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        await backoff.wait_if_paused(rng)
        try:
            return await fn()
        except RetryableModelError as exc:
            if attempt >= max(1, policy.max_attempts):
                raise RetryableModelError(
                    f"{what}: still failing after {attempt} attempts: {exc}",
                    status=exc.status,
                    retry_after=exc.retry_after,
                ) from exc
            if exc.retry_after is not None and exc.retry_after > policy.max_retry_after_s:
                raise RetryableModelError(
                    f"{what}: the server asked to wait {exc.retry_after:.0f}s, more than the "
                    f"{policy.max_retry_after_s:.0f}s allowed: {exc}",
                    status=exc.status,
                    retry_after=exc.retry_after,
                ) from exc
            delay = policy.delay(attempt, exc.retry_after, rng)
            if exc.status in THROTTLE_STATUSES:
                backoff.throttle(exc.status, delay)
            await backoff.sleep_before_retry(delay)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date; None if absent."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# Anthropic and OpenAI keys both start with "sk-"; OpenAI echoes a masked key in its 401 text.
_KEYLIKE = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{4,}")


def redact(text: str, secrets: list[str | None]) -> str:
    """Remove API keys (the known ones, and anything shaped like one) from an error message."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)


_HINTS = {
    400: "the request was rejected as invalid",
    401: "authentication failed: check the API key",
    403: "permission denied for this key or model",
    404: "not found: check the model id and base URL",
    413: "the request is too large for this model",
}


def status_error(
    provider: str,
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    secrets: list[str | None] | None = None,
) -> ModelError:
    """The neutral error for an HTTP status (or an SSE error mapped to one)."""
    detail = redact(detail, secrets or [])
    if status in RETRYABLE_STATUSES or status >= 500:
        return RetryableModelError(
            f"{provider} API error {status}: {detail}", status=status, retry_after=parse_retry_after(headers)
        )
    hint = _HINTS.get(status, "request failed")
    return ModelError(f"{provider} API error {status} ({hint}): {detail}")


def connection_error(provider: str, detail: str) -> RetryableModelError:
    """A dropped connection, timeout, or a stream that ended before its final event."""
    return RetryableModelError(f"{provider} connection problem: {detail}", status=None)


def refused(exc: BaseException) -> bool:
    """True when the server refused the connection outright: nothing listens there, so a retry cannot help."""
    cur: BaseException | None = exc
    for _ in range(12):  # the SDK wraps the transport's error, which wraps the socket's
        if cur is None:
            return False
        said = str(cur).lower()
        if isinstance(cur, ConnectionRefusedError) or "connection refused" in said or "errno 111" in said:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def unreachable_error(provider: str, url: str, env_var: str) -> ModelError:
    """What to say when `url` refused the connection: where, what was tried, what to do."""
    return ModelError(
        f"{provider} server at {url} refused the connection (tried once; a refused connection is not "
        f"retried): nothing is listening there. Start the server, or set {env_var} to where it runs."
    )
