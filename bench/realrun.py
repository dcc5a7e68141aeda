"""A real `shopfloor run` for the benches: a small project, a task graph, scripted agents at a set pace.

`make_project` writes a git repository with a task queue for a graph of tasks, and one script per task
for the `scripted:DIR` model: each task reads a file or two, writes its own Python module, writes its
marker, and closes with a line of text, every reply taking `latency_s`. `run_cli` runs `python -m
shopfloor run` on it as a separate process, timed from before the process starts to its exit, and
`read_events` reads back what the run recorded in `.orchestrator/state.db` (every event has its time).

`reaction` turns those events into the orchestrator's own time between one task's marker and the next
task's first model request, with what the model and the project's own checks took in between taken out.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Graph = Mapping[str, tuple[int, list[str]]]
"""Task id -> (model turns, dependencies). A task has at least 2 turns."""

MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
CHECK = "true"
"""The project's one check command: as cheap as a check can be, so what is left is shopfloor's own time."""


def chain(n: int, turns: int = 3) -> dict[str, tuple[int, list[str]]]:
    ids = [f"TASK-{i:03d}" for i in range(1, n + 1)]
    return {tid: (turns, [ids[i - 1]] if i else []) for i, tid in enumerate(ids)}


def module_name(tid: str) -> str:
    return tid.lower().replace("-", "_")


def task_script(tid: str, turns: int) -> list[Any]:
    """`turns` replies: reads, then the task's module and its marker in one turn, then a closing text."""
    name = module_name(tid)
    module = f"{{workdir}}/pkg/{name}.py"
    body = f'"""Work of {tid}."""\n\n\ndef value_{name}() -> int:\n    return {len(tid)}\n'
    reads: list[Any] = [
        {"tool": "Read", "input": {"file_path": "{workdir}/README.md"}},
        {"tool": "Glob", "input": {"pattern": "pkg/*.py"}},
        {"tool": "Grep", "input": {"pattern": "def value", "output_mode": "files_with_matches"}},
    ]
    explore = [reads[i % len(reads)] for i in range(max(turns - 2, 0))]
    finish = {
        "tool_calls": [
            {"tool": "Write", "input": {"file_path": module, "content": body}},
            {"tool": "Write", "input": {"file_path": MARKER, "content": "done"}},
        ]
    }
    return [*explore, finish, f"{tid} is done."]


def queue_text(graph: Graph) -> str:
    out = ["# Tasks", ""]
    for tid, (_, deps) in graph.items():
        out += [
            f"### {tid}",
            "| Field | Value |",
            "|-------|-------|",
            "| Status | pending |",
            "| Category | backend |",
            "| Complexity | easy |",
            "",
            f"**Objective:** Add the module pkg/{module_name(tid)}.py.",
            "",
            "**Acceptance Criteria:**",
            f"- pkg/{module_name(tid)}.py defines value_{module_name(tid)}",
            "",
            f"**Dependencies:** {', '.join(deps) if deps else 'None'}",
            "",
        ]
    return "\n".join(out)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def make_project(root: Path, graph: Graph, latency_s: float, *, extra_toml: str = "") -> Path:
    """The project at `root` and its scripts (returned: the folder for `--model scripted:DIR`)."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("A small service the bench's agents add modules to.\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text('"""The service."""\n')
    (root / "pkg" / "base.py").write_text("def value_base() -> int:\n    return 0\n")
    (root / "shopfloor.toml").write_text(f'[gate]\ncommands = ["{CHECK}"]\n{extra_toml}')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(queue_text(graph))
    scripts = root.parent / f"{root.name}-scripts"
    scripts.mkdir()
    for tid, (turns, _) in graph.items():
        script = {"latency_s": latency_s, "turns": task_script(tid, turns)}
        (scripts / f"{tid}.yaml").write_text(yaml.safe_dump(script, sort_keys=False))
    return scripts


@dataclass
class CliRun:
    wall_s: float
    code: int
    output: str


_COMPILE = (
    "import compileall, os, shopfloor; compileall.compile_dir(os.path.dirname(shopfloor.__file__), quiet=1)"
)
_compiled: set[str] = set()


def compile_package(env: Mapping[str, str]) -> None:
    """Give the shopfloor that `python -m shopfloor` imports its bytecode, as an installed package has it.

    pip compiles a package when it installs it; a checkout installed in place compiles on first import,
    unless PYTHONDONTWRITEBYTECODE is set (as on the machines these figures come from), in which case
    every run would compile shopfloor's modules again: 0.2 to 0.3 s that no installed copy pays."""
    key = env.get("PYTHONPATH", "")
    if key not in _compiled:
        subprocess.run([sys.executable, "-c", _COMPILE], env=dict(env), check=True)
        _compiled.add(key)


def run_cli(project: Path, scripts: Path, parallel: int, *extra: str) -> CliRun:
    """`shopfloor run` in its own process, from before it starts to its exit."""
    argv = [sys.executable, "-m", "shopfloor", "run", "--model", f"scripted:{scripts}"]
    argv += ["--parallel", str(parallel), *extra]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    compile_package(env)
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=project, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - t0
    return CliRun(wall, proc.returncode, proc.stdout + proc.stderr)


@dataclass(frozen=True)
class Event:
    ts: float
    task_id: str
    kind: str
    payload: dict[str, Any]


def read_events(project: Path) -> list[Event]:
    with sqlite3.connect(project / ".orchestrator" / "state.db") as db:
        rows = db.execute("SELECT ts, task_id, kind, payload FROM events ORDER BY id").fetchall()
    return [Event(ts, tid or "", kind, json.loads(payload)) for ts, tid, kind, payload in rows]


@dataclass
class Gap:
    """From one task's marker to the next task's first model request, and what filled it (seconds)."""

    before: str
    after: str
    total: float
    model: float
    """The model's replies in between (the closing turn)."""
    checks: float
    """The project's own check commands in the gate."""
    phases: dict[str, float] = field(default_factory=dict)
    """Time from the marker to each phase's start, for where the rest went."""

    @property
    def own(self) -> float:
        return self.total - self.model - self.checks


def reaction(events: list[Event], pairs: list[tuple[str, str]]) -> list[Gap]:
    """The gap for each (task, the task that waited for it) pair, from the run's recorded events."""
    by_task: dict[str, list[Event]] = {}
    for e in events:
        by_task.setdefault(e.task_id, []).append(e)
    gaps = []
    for before, after in pairs:
        mine = by_task[before]
        marker_call = next(
            e.payload["call_id"]
            for e in mine
            if e.kind == "tool_called" and str(e.payload["input"].get("file_path", "")).endswith(".done")
        )
        marked = next(e.ts for e in mine if e.kind == "tool_answered" and e.payload["call_id"] == marker_call)
        first_call = next(e.ts for e in by_task[after] if e.kind == "model_called")
        model = sum(
            e.payload["duration_s"] for e in mine if e.kind == "model_replied" and marked < e.ts < first_call
        )
        checks = sum(
            c["duration_s"]
            for e in mine
            if e.kind == "gate_round" and marked < e.ts < first_call
            for c in e.payload["report"]["checks"]
        )
        phases: dict[str, float] = {}
        for e in [*mine, *by_task[after]]:
            if marked <= e.ts <= first_call:
                name = _phase_name(e)
                if name and name not in phases:
                    phases[name] = e.ts - marked
        gaps.append(Gap(before, after, first_call - marked, model, checks, phases))
    return gaps


def _phase_name(e: Event) -> str | None:
    if e.kind == "run_finished":
        return "agent ended"
    if e.kind == "task_phase":
        return f"{e.task_id} {e.payload['phase']}"
    if e.kind == "gate_round":
        return "gate done"
    if e.kind == "task_merged":
        return "merged"
    if e.kind == "task_placed":
        return "next placed"
    if e.kind == "run_started":
        return "next agent prepared"
    return None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def median_ms(values: list[float]) -> str:
    return ms(statistics.median(values)) if values else "-"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
