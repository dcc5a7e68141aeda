"""The live view of an orchestrated run: one line per active task, totals underneath."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from shopfloor.agent.events import ModelReplied, Notice, RunFinished, RunStarted, ToolCalled
from shopfloor.cli.progress import tool_label
from shopfloor.cli.safe_text import visible
from shopfloor.orchestrator.events import RunEvent, RunStatusChanged, TaskStatus

# What the person watching is told as the run enters each phase.
_PHASES = {
    "decomposing": "decomposing PRD.md into a task queue (the agent reads the project first)...",
    "running": "working through the task queue...",
}


@dataclass
class _Row:
    agent: str
    model: str
    started: float
    turn: int = 0
    last_tool: str = "-"
    cost: float = 0.0
    state: str = "running"
    phase_started: float | None = None
    """When the gate started on this task's work, while it runs."""


class RunView:
    """Listens to every agent's events; a Rich table on a terminal, plain lines otherwise."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.rows: dict[str, _Row] = {}
        self.total_cost = 0.0
        self.tokens = 0
        self.settled: dict[str, str] = {}
        """Tasks that reached a final status, and which."""
        self._live: Live | None = None
        self.phase = ""

    def __enter__(self) -> RunView:
        if self.console.is_terminal:
            self._live = Live(
                console=self.console, refresh_per_second=2, transient=False, get_renderable=self._render
            )
            self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.__exit__(exc_type, exc, tb)

    def _render(self) -> Group:
        table = Table(expand=False, box=None, pad_edge=False)
        for col in ("task", "agent", "model", "turn", "last tool", "cost", "time"):
            table.add_column(col, no_wrap=col in ("task", "agent", "model"))
        now = time.monotonic()
        for tid, row in self.rows.items():
            if row.state != "running":
                continue
            last: RenderableType = row.last_tool
            if row.phase_started is not None:
                last = Spinner("dots", text=f"gate {now - row.phase_started:.0f}s")
            table.add_row(
                tid,
                row.agent,
                row.model,
                str(row.turn),
                last,
                f"${row.cost:.4f}",
                f"{now - row.started:.0f}s",
            )
        done = sum(v == "completed" for v in self.settled.values())
        failed = len(self.settled) - done
        totals = Text(
            f"agents at work {sum(r.state == 'running' for r in self.rows.values())}  "
            f"tasks completed {done}  failed or blocked {failed}  "
            f"tokens {self.tokens:,}  cost ${self.total_cost:.4f}"
        )
        return Group(table, totals)

    def _print(self, text: str) -> None:
        text = visible(text)  # agents' and programs' words: shown, never obeyed by the terminal
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def __call__(self, event: RunEvent) -> None:
        tid = event.task_id
        match event:
            case RunStarted():
                model = "scripted" if event.provider == "scripted" else event.model
                row = self.rows.get(tid)
                if row is None or row.state != "running":
                    self.rows[tid] = _Row(event.agent, model, time.monotonic())
                    self._print(f"[{tid}] {event.agent} started on {model}")
            case RunStatusChanged(finished=None) if event.status in _PHASES and event.status != self.phase:
                self.phase = event.status
                self._print(_PHASES[event.status])
            case TaskStatus(status="verifying", detail="", reason=""):  # a gate round starts
                row = self.rows.get(tid)
                if row:
                    row.state, row.last_tool, row.phase_started = "running", "gate: checks", time.monotonic()
                self._print(f"[{tid}] gate: running the project's checks and the security checklist...")
            case TaskStatus():
                if event.status in ("completed", "failed", "blocked", "skipped"):
                    self.settled[tid] = event.status
                note = event.detail or event.reason
                row = self.rows.get(tid)
                if row and event.status == "verifying":
                    row.state = "gated"  # the gate has spoken; the agent's next turn shows it again
                if event.status in ("merging", "completed", "failed", "blocked", "skipped") or note:
                    self._print(f"[{tid}] {event.status}" + (f": {note}" if note else ""))
            case ModelReplied():
                row = self.rows.get(tid)
                self.total_cost += event.cost_usd or 0.0
                self.tokens += event.usage.total_tokens
                if row:
                    row.turn = event.turn
                    row.cost += event.cost_usd or 0.0
                    row.state = "running"  # a follow-up (gate report, conflict) goes on after RunFinished
                    row.phase_started = None
            case ToolCalled():
                row = self.rows.get(tid)
                if row:
                    row.last_tool = tool_label(event)
            case Notice() if not tid:  # the run's own word to the person running it
                self._print(event.message)
            case RunFinished():
                row = self.rows.get(tid)
                if row:
                    row.state = event.outcome
                self._print(f"[{tid}] agent {event.outcome}" + (f": {event.reason}" if event.reason else ""))
            case _:
                pass
