"""Harness overhead per turn of the agent loop: wall time outside the model and the tools.

A scripted backend-agent works 30 turns on a small temp project (Glob, Grep, Read, one Edit, the marker
Write, a closing text turn). Each turn's time runs from one `ModelCalled` event to the next (the last one
to `RunFinished`); the overhead is that minus the model call (`ModelReplied.duration_s`) and the wall time
covered by tool calls (`ToolAnswered.duration_s` intervals, merged where read-only calls overlap). The
transcript is written as in a real run, so its cost counts as overhead.

Run from the repository root:  .venv/bin/python bench/agent_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.agent.events import Event, ModelCalled, ModelReplied, RunFinished, ToolAnswered
from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, prepare
from shopfloor.models.base import Model, ToolSpec
from shopfloor.models.scripted import ScriptedModel
from shopfloor.tools.toolset import Toolset

TURNS = 30
SOURCES = {
    "README.md": "# notes service\n\nA tiny HTTP API that stores notes in SQLite.\n",
    "pyproject.toml": '[project]\nname = "notes"\nversion = "0.1.0"\n',
    "src/notes/__init__.py": '"""Notes service."""\n',
    "src/notes/db.py": (
        "import sqlite3\n\n\ndef connect(path: str) -> sqlite3.Connection:\n"
        "    conn = sqlite3.connect(path)\n    conn.row_factory = sqlite3.Row\n    return conn\n"
    ),
    "src/notes/models.py": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Note:\n    id: int\n    title: str\n"
        "    body: str\n"
    ),
    "src/notes/routes.py": (
        "from notes.db import connect\nfrom notes.models import Note\n\n\n"
        "def list_notes(path: str) -> list[Note]:\n    rows = connect(path).execute('SELECT * FROM notes')\n"
        "    return [Note(**dict(r)) for r in rows]\n\n\ndef get_note(path: str, note_id: int) -> Note:\n"
        "    # TODO: 404 when missing\n"
        "    row = connect(path).execute('SELECT * FROM notes WHERE id = ?', (note_id,)).fetchone()\n"
        "    return Note(**dict(row))\n"
    ),
    "tests/test_routes.py": (
        "from notes.routes import list_notes\n\n\ndef test_empty(tmp_path):\n"
        "    assert list_notes(str(tmp_path / 'x.db')) == []\n"
    ),
}


def make_project(root: Path) -> Path:
    """A small Python project to explore; returns its resolved root."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in SOURCES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root.resolve()


def exploring_script(turns: int = TURNS) -> list[dict[str, Any]]:
    """`turns` scripted turns: cheap reads and searches, one Edit, the marker Write, a closing text."""
    cheap: list[dict[str, Any]] = [
        {"tool": "Glob", "input": {"pattern": "**/*.py"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/README.md"}},
        {"tool": "Grep", "input": {"pattern": "def \\w+", "path": "{workdir}/src"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/src/notes/routes.py"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/src/notes/models.py"}},
        {"tool": "Grep", "input": {"pattern": "connect", "output_mode": "content", "path": "{workdir}"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/src/notes/db.py"}},
        {"tool": "Glob", "input": {"pattern": "tests/**/*.py"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/tests/test_routes.py"}},
    ]
    script: list[dict[str, Any]] = []
    for i in range(turns - 3):
        call = cheap[i % len(cheap)]
        script.append({"text": f"Step {i + 1}: looking around.", "tool_calls": [call]})
    edit = {
        "file_path": "{workdir}/src/notes/routes.py",
        "old_string": "    # TODO: 404 when missing\n",
        "new_string": "    # A missing note raises LookupError; the web layer maps it to 404.\n",
    }
    marker = {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "done"}
    script.append({"text": "Making the change.", "tool_calls": [{"tool": "Edit", "input": edit}]})
    script.append({"tool_calls": [{"tool": "Write", "input": marker}]})
    script.append({"text": "Done: the missing-note case is documented and the marker is written."})
    return script


def bench_task(workdir: Path, task_id: str = "TASK-001") -> AgentTask:
    return AgentTask(
        task_id=task_id,
        objective="Document how get_note treats a missing note.",
        criteria=["routes.py says what happens when a note is missing"],
        workdir=workdir,
    )


@dataclass
class Clock:
    """Stamps each event with `time.monotonic()` as it reaches the sink."""

    stamps: list[tuple[float, Event]] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.stamps.append((time.monotonic(), event))


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Total length of the union of intervals (concurrent read-only calls overlap)."""
    total, end = 0.0, float("-inf")
    for lo, hi in sorted(intervals):
        if hi > end:
            total += hi - max(lo, end)
            end = hi
    return total


def overhead_per_turn(stamps: list[tuple[float, Event]]) -> list[float]:
    """Seconds of harness work per turn: turn wall time less model time and tool wall time."""
    starts = [i for i, (_, e) in enumerate(stamps) if isinstance(e, ModelCalled)]
    ends = [*starts[1:], next(i for i, (_, e) in enumerate(stamps) if isinstance(e, RunFinished))]
    out = []
    for lo, hi in zip(starts, ends, strict=True):
        span = stamps[hi][0] - stamps[lo][0]
        model = sum(e.duration_s for _, e in stamps[lo:hi] if isinstance(e, ModelReplied))
        tools = _covered([(t - e.duration_s, t) for t, e in stamps[lo:hi] if isinstance(e, ToolAnswered)])
        out.append(span - model - tools)
    return out


class FrozenSpecs(Toolset):
    """The same tools with their specs built once: what the loop would cost if schemas were cached."""

    def __init__(self, base: Toolset):
        super().__init__(t for n in base.names if (t := base.get(n)) is not None)
        self._specs = base.specs()

    def specs(self) -> list[ToolSpec]:
        return self._specs


async def run_once(root: Path, model: Model, clock: Clock, *, frozen_specs: bool = False) -> AgentResult:
    """Prepare the built-in backend-agent (skills injected, transcript on disk) and run it."""
    run = AgentRun(agent="backend-agent", task=bench_task(root), model=model, on_event=clock)
    prepared = prepare(run)
    if frozen_specs:
        prepared.loop.toolset = FrozenSpecs(prepared.loop.toolset)
    try:
        return await prepared.loop.run()
    finally:
        await prepared.aclose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Figures:
    per_turn: list[float] = field(default_factory=list)
    run_medians: list[float] = field(default_factory=list)
    model_s: list[float] = field(default_factory=list)
    tool_s: list[float] = field(default_factory=list)


async def measure(tmp: Path, runs: int, *, frozen_specs: bool) -> Figures:
    figures = Figures()
    for i in range(runs + 1):  # run 0 warms imports and caches up and is not counted
        root = make_project(tmp / f"{'frozen' if frozen_specs else 'plain'}{i}")
        clock = Clock()
        model = ScriptedModel(exploring_script())
        result = await run_once(root, model, clock, frozen_specs=frozen_specs)
        assert result.outcome == "completed" and result.turns == TURNS, result
        if i == 0:
            continue
        overheads = overhead_per_turn(clock.stamps)
        figures.per_turn += overheads
        figures.run_medians.append(statistics.median(overheads))
        figures.model_s += [e.duration_s for _, e in clock.stamps if isinstance(e, ModelReplied)]
        figures.tool_s += [e.duration_s for _, e in clock.stamps if isinstance(e, ToolAnswered)]
    return figures


def specs_cost(samples: int = 50) -> float:
    """Median seconds of one `Toolset.specs()` on the backend-agent's tools."""
    from shopfloor.tools.registry import agent_toolset

    toolset = agent_toolset(None, [], has_skills=True)
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        toolset.specs()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain = await measure(Path(tmp), args.runs, frozen_specs=False)
        frozen = await measure(Path(tmp), args.runs, frozen_specs=True)
    ms = 1000.0
    print(f"machine: {os.cpu_count()} cores; {args.runs} runs x {TURNS} turns each (after 1 warm-up run)")
    for label, fig in (("as shipped", plain), ("tool specs built once", frozen)):
        print(
            f"{label:<22} overhead per turn: median {statistics.median(fig.per_turn) * ms:6.2f} ms, "
            f"p90 {pct(fig.per_turn, 0.9) * ms:6.2f} ms, max {max(fig.per_turn) * ms:6.2f} ms; "
            "per-run medians " + ", ".join(f"{m * ms:.1f}" for m in fig.run_medians)
        )
    print(f"one Toolset.specs() call (all JSON schemas rebuilt): median {specs_cost() * ms:.2f} ms")
    print(
        f"for scale: scripted model call median {statistics.median(plain.model_s) * ms:.2f} ms, "
        f"tool call median {statistics.median(plain.tool_s) * ms:.2f} ms"
    )
    verdict = "met" if statistics.median(plain.per_turn) < 0.005 else "MISSED"
    print(f"target median < 5 ms (as shipped): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
