"""Transient provider failures are retried with backoff; permanent ones surface as clear errors."""

from __future__ import annotations

import email.utils
import time

import anyio
import pytest

from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import Message, ModelError, ModelRequest, RetryableModelError, TextPart, ToolSpec
from shopfloor.models.retry import (
    BackoffRegistry,
    ProviderBackoff,
    RetryPolicy,
    ThrottleEvent,
    call_with_retries,
    parse_retry_after,
    redact,
)
from shopfloor.testing import FakeProvider, Fault

from .conftest import API_KEY, WIRE_KINDS, Kind, MakeModel

pytestmark = pytest.mark.anyio

TOOL_TURN = {
    "tool_calls": [{"tool": "Write", "input": {"file_path": "/srv/app/api.py", "content": "x = 1\n" * 20}}]
}


def request(system: str = "sys") -> ModelRequest:
    return ModelRequest(
        system=system,
        messages=[Message(role="user", parts=[TextPart(text="WORKING_DIR: /srv/app\nTASK_ID: T-1")])],
        tools=[ToolSpec(name="Write", description="Write a file", input_schema={"type": "object"})],
    )


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_rate_limit_honours_retry_after_seconds(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider, backoffs: BackoffRegistry
) -> None:
    model = make_model(kind, [Fault.rate_limited(retry_after="7"), "recovered"])
    response = await model.complete(request())
    assert response.message.text == "recovered"
    assert len(fake_provider.calls) == 2
    (backoff,) = list(backoffs)
    assert backoff.throttled_count == 1
    assert len(backoff.waits) == 1 and backoff.waits[0] >= 7.0


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_rate_limit_prefers_retry_after_ms(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider, backoffs: BackoffRegistry
) -> None:
    model = make_model(kind, [Fault.rate_limited(retry_after="1", retry_after_ms="2500"), "ok"])
    await model.complete(request())
    (backoff,) = list(backoffs)
    assert 2.5 <= backoff.waits[0] < 7.0


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_overloaded_and_server_errors_are_retried(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider, backoffs: BackoffRegistry
) -> None:
    model = make_model(kind, [Fault.overloaded(), Fault.server_error(500), Fault.server_error(503), "fine"])
    response = await model.complete(request())
    assert response.message.text == "fine"
    assert len(fake_provider.calls) == 4
    (backoff,) = list(backoffs)
    assert len(backoff.waits) == 3
    assert backoff.throttled_count == 1  # only the 529 pauses everyone; 5xx backs off this caller alone


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_dropped_connection_is_retried(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.dropped(), "back"])
    response = await model.complete(request())
    assert response.message.text == "back"
    assert len(fake_provider.calls) == 2


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_stream_cut_inside_tool_input_is_retried_whole(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.cut_stream(), TOOL_TURN])
    response = await model.complete(request())
    (call,) = response.message.tool_uses
    assert call.input == TOOL_TURN["tool_calls"][0]["input"]  # type: ignore[index]
    assert call.input_error is None
    assert len(fake_provider.calls) == 2


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
async def test_error_event_mid_stream_is_retried(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.stream_error("overloaded_error"), TOOL_TURN])
    response = await model.complete(request())
    assert response.message.tool_uses[0].name == "Write"
    assert len(fake_provider.calls) == 2
    assert fake_provider.calls[0].streamed


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_retries_run_out(kind: Kind, make_model: MakeModel, fake_provider: FakeProvider) -> None:
    model = make_model(kind, [Fault.server_error(502)] * 3 + ["too late"], max_attempts=3)
    with pytest.raises(RetryableModelError) as info:
        await model.complete(request())
    assert info.value.status == 502
    assert "3 attempts" in str(info.value)
    assert len(fake_provider.calls) == 3
    assert fake_provider.pending == 1


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_too_long_retry_after_gives_up_at_once(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.rate_limited(retry_after="86400"), "never"])
    with pytest.raises(RetryableModelError) as info:
        await model.complete(request())
    assert info.value.status == 429
    assert info.value.retry_after == pytest.approx(86400)
    assert len(fake_provider.calls) == 1


@pytest.mark.parametrize("kind", WIRE_KINDS)
@pytest.mark.parametrize("status", [401, 403, 404, 400])
async def test_permanent_errors_are_not_retried(
    kind: Kind, status: int, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.http_status(status), "unused"])
    with pytest.raises(ModelError) as info:
        await model.complete(request())
    assert not isinstance(info.value, RetryableModelError)
    assert str(status) in str(info.value)
    assert len(fake_provider.calls) == 1


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_auth_error_never_shows_the_key(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, [Fault.http_status(401)])
    with pytest.raises(ModelError) as info:
        await model.complete(request())
    message = str(info.value)
    assert "401" in message and "authentication failed" in message
    # The fake server echoes the credential it received; none of it may reach the message.
    assert API_KEY not in message
    assert "0123456789-secret" not in message


async def test_throttle_holds_other_callers_of_the_same_provider(fake_provider: FakeProvider) -> None:
    events: list[ThrottleEvent] = []
    backoffs = BackoffRegistry(time_scale=0.01, on_throttle=events.append)
    fake_provider.push(Fault.rate_limited(retry_after="30"), "first", "second")

    def model() -> AnthropicModel:
        return AnthropicModel(
            "claude-sonnet-4-6", api_key=API_KEY, base_url=fake_provider.url, backoffs=backoffs
        )

    a, b = model(), model()
    assert a.backoff is b.backoff
    results: list[str] = []

    async def run(m: AnthropicModel) -> None:
        # Another agent's prompt: the same prompt would wait for a's answer anyway (see test_prefix_gate).
        results.append((await m.complete(request(system="sys" if m is a else "other"))).message.text)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, a)
        with anyio.fail_after(10):
            while a.backoff.throttled_count == 0:  # wait until a's first call was rate limited
                await anyio.sleep(0.002)
        tg.start_soon(run, b)
    await a.aclose()
    await b.aclose()
    assert sorted(results) == ["first", "second"]
    assert len(events) == 1 and events[0].status == 429 and events[0].pause_s >= 30
    assert a.backoff.holds, "the second caller should have waited for the shared pause"
    assert len(fake_provider.calls) == 3


async def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = ProviderBackoff("test", time_scale=0.0001)
    policy = RetryPolicy(max_attempts=6, base_delay_s=1.0, max_delay_s=5.0, jitter=0.0)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 6:
            raise RetryableModelError("boom", status=500)
        return "ok"

    assert await call_with_retries(flaky, policy=policy, backoff=backoff, what="test") == "ok"
    assert backoff.waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.throttled_count == 0


async def test_a_paused_provider_holds_the_next_call() -> None:
    backoff = ProviderBackoff("test", time_scale=0.001)
    backoff.throttle(529, 12.0)
    assert backoff.pause_remaining() > 11.0

    async def ok() -> str:
        return "ok"

    await call_with_retries(ok, policy=RetryPolicy(), backoff=backoff, what="test")
    assert backoff.holds and backoff.holds[0] >= 11.0
    assert backoff.pause_remaining() == 0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < (parse_retry_after({"retry-after": later}) or 0) <= 120
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_redact_removes_keys() -> None:
    text = "Incorrect API key provided: sk-proj-abc***wxyz; also sk-ant-api03-SECRETSECRET and mykey-123456"
    cleaned = redact(text, ["mykey-123456"])
    assert "abc" not in cleaned and "SECRET" not in cleaned and "mykey" not in cleaned
    assert cleaned.startswith("Incorrect API key provided: ***")
