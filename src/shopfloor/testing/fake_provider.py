"""A real HTTP server on loopback that speaks the Anthropic Messages and OpenAI Chat Completions APIs.

It serves scripted turns (the `ScriptTurn` format shared with ScriptedModel) from a queue or
from a responder callback, injects faults on request, and records every request it receives.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from shopfloor.models.base import Usage
from shopfloor.models.context_window import estimate_tokens
from shopfloor.models.script import ScriptToolCall, ScriptTurn, TurnLike, parse_turn
from shopfloor.testing.exchange import Fault, RecordedRequest, Responder, ServerStyle
from shopfloor.testing.fake_http import FakeHandler

# What a cut stream starts to say when nothing else is queued.
_DEFAULT_PARTIAL = ScriptTurn(
    tool_calls=[ScriptToolCall(tool="Read", input={"file_path": "/placeholder/path.txt"})]
)


@dataclass
class _State:
    queue: deque[TurnLike | Fault] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    cache: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Cached prefix digest -> (when it expires on the cache clock, its lifetime in seconds)."""
    clock_skew: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


NO_MORE_TURNS = "the script has no more turns; a scripted run must script every model call"


class FakeProvider:
    """The fake model service: `with FakeProvider(turns) as fake: ... fake.anthropic_base_url ...`."""

    def __init__(
        self,
        turns: Iterable[TurnLike | Fault] = (),
        *,
        responder: Responder | None = None,
        context_window: int | None = None,
        server_style: ServerStyle = "vllm",
        models: tuple[str, ...] = ("fake-model",),
        prefill_s: float = 0.0,
    ):
        self.responder = responder
        self.prefill_s = prefill_s
        """Seconds an Anthropic request takes before its answer begins; what it writes to the prompt cache
        is readable by other requests only from then on, as with the real service."""
        self.context_window = context_window
        self.server_style = server_style
        self.models = models
        self._state = _State(queue=deque(turns))
        self.responder_errors: list[Exception] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --
    def start(self) -> FakeProvider:
        handler = type("BoundFakeHandler", (FakeHandler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False  # idle keep-alive connections must not hold up stop()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses --
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake provider is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    def env(self, *, api_key: str = "sk-test-fake-key") -> dict[str, str]:
        """Environment variables that point both SDKs (and a shopfloor subprocess) here."""
        return {
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
            "ANTHROPIC_API_KEY": api_key,
            "OPENAI_BASE_URL": self.openai_base_url,
            "OPENAI_API_KEY": api_key,
        }

    # -- script and records --
    def push(self, *items: TurnLike | Fault) -> None:
        with self._state.lock:
            self._state.queue.extend(items)

    @property
    def pending(self) -> int:
        with self._state.lock:
            return len(self._state.queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def calls(self) -> list[RecordedRequest]:
        """Model calls only (Messages and Chat Completions), in arrival order."""
        return [r for r in self.requests if r.api != "other"]

    def record(self, request: RecordedRequest) -> None:
        """Called by the request handler for every request received."""
        with self._state.lock:
            self._state.requests.append(request)

    def next_item(self, request: RecordedRequest) -> ScriptTurn | Fault:
        """The answer to a model call: the queue first, then the responder; past the script's end, a 400."""
        with self._state.lock:
            item = self._state.queue.popleft() if self._state.queue else None
        if item is None and self.responder is not None:
            try:
                item = self.responder(request)
            except Exception as exc:
                # A broken responder must fail the test loudly, not look like a flaky connection.
                self.responder_errors.append(exc)
                return Fault.http_status(400, f"fake provider responder failed: {exc!r}")
        if item is None:
            return Fault.http_status(400, NO_MORE_TURNS)
        if isinstance(item, Fault):
            return item
        return parse_turn(item).filled(request.variables)

    def partial_for(self, fault: Fault, request: RecordedRequest) -> ScriptTurn:
        """What a cut or errored stream starts to send before it breaks."""
        if fault.partial is not None:
            return fault.partial
        with self._state.lock:
            head = self._state.queue[0] if self._state.queue else None
        if head is not None and not isinstance(head, Fault):
            return parse_turn(head).filled(request.variables)
        return _DEFAULT_PARTIAL

    def advance_clock(self, seconds: float) -> None:
        """Let `seconds` pass for the prompt cache at once (cached prefixes expire as they would)."""
        with self._state.lock:
            self._state.clock_skew += seconds

    def _now(self) -> float:
        return time.monotonic() + self._state.clock_skew

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._state.ids):04d}"

    def anthropic_usage(self, body: dict[str, Any], turn: ScriptTurn) -> Usage:
        """Estimated usage that imitates prompt caching at the request's cache_control breakpoints.

        Like the real service: a breakpoint stores the prefix up to it for its `ttl` (5 minutes unless
        "1h"); a later request reads the longest stored, unexpired prefix that ends at any block boundary
        up to its last breakpoint, and a read renews that entry's lifetime. What lies between the read
        and the last breakpoint is written, the part up to the last one-hour breakpoint as a 1-hour write.
        """
        if turn.usage is not None:
            return turn.usage
        blocks: list[tuple[str, Any]] = [("tools", t) for t in body.get("tools", [])]
        system = body.get("system", [])
        blocks += [
            ("system", b) for b in ([{"type": "text", "text": system}] if isinstance(system, str) else system)
        ]
        for message in body.get("messages", []):
            content = message.get("content")
            items = [{"type": "text", "text": content}] if isinstance(content, str) else content
            blocks += [(message.get("role", "user"), b) for b in items]
        digest = hashlib.sha256()
        chars = 0
        boundaries: list[tuple[int, str]] = []
        marks: list[tuple[int, float]] = []  # (block index, lifetime in seconds)
        for i, (role, block) in enumerate(blocks):
            control, plain = None, block
            if isinstance(block, dict):
                control = block.get("cache_control")
                plain = {k: v for k, v in block.items() if k != "cache_control"}
            text = json.dumps([role, plain], sort_keys=True)
            digest.update(text.encode())
            chars += len(text)
            boundaries.append((estimate_tokens("x" * chars), digest.copy().hexdigest()))
            if isinstance(control, dict):
                marks.append((i, 3600.0 if control.get("ttl") == "1h" else 300.0))
        total = estimate_tokens("x" * chars)
        last_mark = marks[-1][0] if marks else -1
        candidates = boundaries[: last_mark + 1]
        with self._state.lock:
            cache, now = self._state.cache, self._now()
            hits = [(tokens, key) for tokens, key in candidates if cache.get(key, (-1.0, 0.0))[0] > now]
            read, hit = max(hits, default=(0, ""))
            if hit:
                cache[hit] = (now + cache[hit][1], cache[hit][1])
        if self.prefill_s:
            time.sleep(self.prefill_s)
        with self._state.lock:
            for i, lifetime in marks:
                cache[boundaries[i][1]] = (now + lifetime, lifetime)
        newest = candidates[-1][0] if candidates else 0
        write = max(0, newest - read)
        long_end = max((boundaries[i][0] for i, life in marks if life > 300.0), default=0)
        output = estimate_tokens(json.dumps(turn.model_dump(exclude_none=True)))
        return Usage(
            input_tokens=max(0, total - read - write),
            output_tokens=max(1, output),
            cache_read_tokens=read,
            cache_write_tokens=write,
            cache_write_1h_tokens=min(write, max(0, long_end - read)),
        )

    def openai_usage(self, body: dict[str, Any], turn: ScriptTurn) -> Usage:
        if turn.usage is not None:
            return turn.usage
        prompt = estimate_tokens(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", [])))
        output = estimate_tokens(json.dumps(turn.model_dump(exclude_none=True)))
        return Usage(input_tokens=prompt, output_tokens=max(1, output))
