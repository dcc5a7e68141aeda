"""The meter behind bench/cache_bill.py: the fake provider billing each call as Anthropic's prompt cache
does, what each task's calls cost, and one row of the bill per harness."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from shopfloor.config.sections import ModelSettings, Price
from shopfloor.models.base import Usage
from shopfloor.models.context_window import estimate_tokens
from shopfloor.models.resolve import parse_spec, profile_for
from shopfloor.models.script import ScriptTurn
from shopfloor.testing import FakeProvider
from shopfloor.testing.exchange import RecordedRequest, route_by_task


@dataclass
class Meter:
    """What the fake billed each model call, for which task, and how big the request's shared prefix was."""

    usages: list[Usage] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    prefixes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: dict[str, Any], usage: Usage) -> None:
        task = RecordedRequest("POST", "/v1/messages", {}, body).task_id or "?"
        with self.lock:
            self.usages.append(usage)
            self.tasks.append(task)
            self.prefixes.append(shared_prefix_tokens(body))
            self.errors += tool_errors(body)

    def prefix_writes(self) -> tuple[int, int]:
        """(tasks whose first call wrote the shared prefix rather than reading it, tasks)."""
        firsts: dict[str, int] = {}
        for i, task in enumerate(self.tasks):
            firsts.setdefault(task, i)
        wrote = [i for i in firsts.values() if self.usages[i].cache_read_tokens < self.prefixes[i]]
        return len(wrote), len(firsts)


class MeteredFake(FakeProvider):
    """The fake provider, serving each TASK_ID its own copy of the turns and metering every call."""

    def __init__(self, scripts: dict[str, list[Any]], meter: Meter, *, prefill_s: float = 0.0):
        super().__init__(responder=route_by_task(scripts), prefill_s=prefill_s)
        self.meter = meter

    def anthropic_usage(self, body: dict[str, Any], turn: ScriptTurn) -> Usage:
        usage = super().anthropic_usage(body, turn)
        self.meter.add(body, usage)
        return usage


def shared_prefix_tokens(body: dict[str, Any]) -> int:
    """Tokens (the fake's yardstick) up to the last breakpoint among the tools and the system blocks."""
    system = body.get("system", [])
    blocks = [("tools", t) for t in body.get("tools", [])]
    blocks += [
        ("system", b) for b in ([{"type": "text", "text": system}] if isinstance(system, str) else system)
    ]
    chars, end = 0, 0
    for role, block in blocks:
        plain = {k: v for k, v in block.items() if k != "cache_control"}
        chars += len(json.dumps([role, plain], sort_keys=True))
        if "cache_control" in block:
            end = chars
    return estimate_tokens("x" * end)


def tool_errors(body: dict[str, Any]) -> list[str]:
    """Tool results in the newest user message that came back as errors (the trajectory must not fail)."""
    messages = body.get("messages", [])
    last = messages[-1].get("content") if messages else None
    if not isinstance(last, list):
        return []
    return [str(b.get("content"))[:200] for b in last if b.get("type") == "tool_result" and b.get("is_error")]


@dataclass(frozen=True)
class Shape:
    """How the tasks of one measurement run: how many, how far apart, how many at once."""

    tasks: int = 1
    gap_s: float = 0.0
    parallel: int = 1
    prefill_s: float = 0.0

    def task_ids(self) -> list[str]:
        return [f"TASK-{i + 1:03d}" for i in range(self.tasks)]


@dataclass
class Bill:
    label: str
    meter: Meter
    price: Price

    @property
    def usage(self) -> Usage:
        return sum(self.meter.usages, Usage())

    @property
    def usd(self) -> float:
        return self.price.cost(self.usage)

    def row(self, reference: Bill | None = None, note: str = "") -> str:
        u = self.usage
        ratio = f"  {self.usd / reference.usd:4.2f}x" if reference else ""
        return (
            f"  {self.label:<30} calls {len(self.meter.usages):>3}  write {u.cache_write_tokens:>7,}  "
            f"read {u.cache_read_tokens:>9,}  uncached {u.input_tokens:>7,}  out {u.output_tokens:>5,}  "
            f"${self.usd:.4f}{ratio}{note}"
        )


def sonnet() -> tuple[str, Price]:
    settings = ModelSettings()
    profile = profile_for(parse_spec("sonnet", settings=settings, env={}), settings)
    assert profile.price is not None
    return profile.model_id, profile.price
