"""Showing an agent's progress: a Rich status line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

from shopfloor.agent.events import Event, ModelReplied, Notice, RunFinished, RunStarted, ToolCalled
from shopfloor.cli.safe_text import visible
from shopfloor.models.base import Usage

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text


def _short(value: object, width: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def tool_label(event: ToolCalled) -> str:
    key = next((k for k in ("file_path", "pattern", "command", "skill", "bash_id") if k in event.input), None)
    return f"{event.name}({_short(event.input[key], 50)})" if key else event.name


class AgentProgress:
    """Consumes loop events; renders turn, last tool, tokens and cost."""

    def __init__(self, console: Console | None = None):
        if console is None and not sys.stderr.isatty():
            self.console: Console | None = None  # plain lines for another program: Rich is not even loaded
        else:
            from rich.console import Console

            self.console = console or Console(stderr=True)
        self.live_mode = self.console is not None and self.console.is_terminal
        self.turn = 0
        self.last_tool = "-"
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.label = ""
        self._live: Live | None = None

    def __enter__(self) -> AgentProgress:
        if self.live_mode:
            from rich.live import Live

            self._live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def _render(self) -> Text:
        from rich.text import Text

        cost = "unknown" if self.cost is None else f"${self.cost:.4f}"
        return Text.assemble(
            (f"{self.label} ", "bold"),
            f"turn {self.turn}  last tool {self.last_tool}  ",
            f"tokens {self.usage.total_tokens:,}  cost {cost}",
        )

    def _line(self, text: str) -> None:
        text = visible(text)  # agents' and programs' words: shown, never obeyed by the terminal
        if self._live is not None and self.console is not None:
            self.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.label = f"[{event.task_id}] {event.agent} on {event.model}"
                self._line(f"{self.label}: started in {event.workdir}")
                for notice in event.notices:
                    self._line(f"note: {notice}")
            case ModelReplied():
                self.turn = event.turn
                self.usage = self.usage + event.usage
                if self.cost is not None:
                    self.cost = None if event.cost_usd is None else self.cost + event.cost_usd
                if not self.live_mode:
                    self._line(f"turn {event.turn}: {event.tool_calls} tool call(s), {event.stop_reason}")
            case ToolCalled():
                self.last_tool = tool_label(event)
                if not self.live_mode:
                    self._line(f"  {self.last_tool}")
            case Notice():
                self._line(f"note: {event.message}")
            case RunFinished():
                self._line(f"{self.label}: {event.outcome}" + (f" ({event.reason})" if event.reason else ""))
            case _:
                pass
        if self._live is not None:
            self._live.update(self._render())
