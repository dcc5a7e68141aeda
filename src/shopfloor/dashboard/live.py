"""The live stream: new rows of the events table as server-sent events, woken by a cheap id check."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator

import anyio

from shopfloor.dashboard.state_reader import StateReader
from shopfloor.orchestrator.state_records import EventRecord

BATCH = 500
# Tool output and model text are already capped in transcripts; the stream keeps the same bound.
MAX_FIELD_CHARS = 20_000


def _trimmed(event: EventRecord) -> EventRecord:
    long = {
        key: value[:MAX_FIELD_CHARS]
        for key, value in event.payload.items()
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS
    }
    if not long:
        return event
    return event.model_copy(update={"payload": {**event.payload, **long}})


def sse_message(event: EventRecord) -> str:
    """One event as an SSE message: its id (for Last-Event-ID on reconnect) and the record as JSON."""
    return f"id: {event.id}\ndata: {_trimmed(event).model_dump_json()}\n\n"


class OpenStreams:
    """How many live streams are open: the server lets them hand over their last events before it stops."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self._count

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._count -= 1


def start_id(last_event_id: str | None, after: int | None) -> int | None:
    """Where a client resumes: the browser's Last-Event-ID on reconnect beats the `after` it asked for."""
    if last_event_id is not None and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after


async def event_stream(
    reader: StateReader,
    after: int,
    closing: threading.Event,
    *,
    poll_s: float = 0.25,
    keepalive_s: float = 15.0,
    streams: OpenStreams | None = None,
) -> AsyncIterator[str]:
    """Yield events recorded after `after`, then wait for more until the server closes.

    On closing, whatever was recorded since the last poll still goes out (a run's last events are
    written just before `run --dashboard` stops the server), then an `end` message, so the page can say
    the dashboard has stopped instead of trying to reconnect.
    """
    with streams if streams is not None else contextlib.nullcontext():
        async for message in _messages(reader, after, closing, poll_s, keepalive_s):
            yield message


async def _messages(
    reader: StateReader, after: int, closing: threading.Event, poll_s: float, keepalive_s: float
) -> AsyncIterator[str]:
    # Sent at once, so a client knows it is connected before anything happens.
    yield "retry: 1000\n: connected\n\n"
    last = after
    quiet_since = time.monotonic()
    while not closing.is_set():
        newest = await anyio.to_thread.run_sync(reader.max_event_id)
        if newest < last:
            # The database was replaced (a fresh project state): tell the page to start over.
            last = newest
            yield f"event: reset\ndata: {json.dumps({'last_event_id': newest})}\n\n"
            quiet_since = time.monotonic()
        elif newest > last:
            batch = await anyio.to_thread.run_sync(reader.events_since, last, BATCH)
            for event in batch:
                yield sse_message(event)
                last = event.id
            quiet_since = time.monotonic()
            if len(batch) == BATCH:
                continue  # a backlog: send the rest before sleeping
        elif time.monotonic() - quiet_since >= keepalive_s:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await anyio.sleep(poll_s)
    while batch := await anyio.to_thread.run_sync(reader.events_since, last, BATCH):
        for event in batch:
            yield sse_message(event)
            last = event.id
    yield f"event: end\ndata: {json.dumps({'last_event_id': last})}\n\n"
