"""The live event stream: server-sent events tailing the store's events table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from shopfloor.dashboard import DashboardServer
from shopfloor.orchestrator.store import Store
from tests.dashboard.sample import SampleProject

# Generous: only guards against a hang, the stream answers within a poll interval.
READ_TIMEOUT = httpx.Timeout(10.0)


def messages(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """SSE messages as {field: value}; comments arrive as {"comment": text}."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                yield fields
            fields = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def next_data(stream: Iterator[dict[str, str]]) -> tuple[int, dict[str, Any]]:
    for message in stream:
        if "data" in message and "event" not in message:
            return int(message["id"]), json.loads(message["data"])
    raise AssertionError("the stream ended")


def test_stream_delivers_an_event_recorded_after_the_client_connected(
    server: DashboardServer, sample: SampleProject
) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.stream(
        "GET", server.base_url + "/api/events", headers=headers, timeout=READ_TIMEOUT
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = messages(response.iter_lines())
        assert next(stream) == {"comment": "connected"}

        with Store.for_project(sample.root) as store:
            recorded = store.record_event(
                sample.run_id, "task_status", {"status": "verifying"}, task_id="TASK-002"
            )

        event_id, event = next_data(stream)
    assert event_id == recorded.id
    assert event["kind"] == "task_status"
    assert event["task_id"] == "TASK-002"
    assert event["payload"] == {"status": "verifying"}


def test_stream_resumes_after_the_last_event_id(server: DashboardServer, sample: SampleProject) -> None:
    with Store.for_project(sample.root) as store:
        events = store.events_since(0)
    resume_from = events[2]
    headers = {"Authorization": f"Bearer {server.token}", "Last-Event-ID": str(resume_from.id)}
    with httpx.stream(
        "GET", server.base_url + "/api/events", headers=headers, timeout=READ_TIMEOUT
    ) as response:
        stream = messages(response.iter_lines())
        got = [next_data(stream)[0] for _ in range(len(events) - 3)]
    assert got == [e.id for e in events[3:]]


def test_stream_carries_agent_events_with_their_payload(
    server: DashboardServer, sample: SampleProject
) -> None:
    url = server.base_url + "/api/events"
    with httpx.stream(
        "GET", url, params={"token": server.token, "after": 0}, timeout=READ_TIMEOUT
    ) as response:
        stream = messages(response.iter_lines())
        first = next_data(stream)[1]
        second = next_data(stream)[1]
    assert first["kind"] == "run_started"
    assert first["payload"]["agent"] == "api-builder"
    assert second["kind"] == "model_called"


def test_stopping_the_server_hands_over_the_last_events_then_ends_open_streams(
    sample: SampleProject,
) -> None:
    from shopfloor.dashboard import serve_dashboard

    server = serve_dashboard(sample.root, home=sample.home)
    url = server.base_url + "/api/events"
    with httpx.stream("GET", url, params={"token": server.token}, timeout=READ_TIMEOUT) as response:
        stream = messages(response.iter_lines())
        assert next(stream) == {"comment": "connected"}
        # As `run --dashboard` does: the run records its last event, then the server stops at once.
        with Store.for_project(sample.root) as store:
            last = store.record_event(sample.run_id, "run_status", {"status": "completed", "finished": 1.0})
        server.stop()
        rest = list(stream)  # returns only because the server closed the stream
    data = [m for m in rest if "data" in m]
    assert [int(m["id"]) for m in data if "event" not in m] == [last.id]
    assert data[-1]["event"] == "end"
    assert json.loads(data[-1]["data"]) == {"last_event_id": last.id}
