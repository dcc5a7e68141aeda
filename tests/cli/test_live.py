"""The run view, in its plain-lines form (what a log file or CI sees)."""

from __future__ import annotations

import io

from rich.console import Console

from shopfloor.agent.events import ModelReplied, RunFinished, RunStarted
from shopfloor.cli.live import RunView
from shopfloor.models.base import Usage
from shopfloor.orchestrator.events import TaskStatus


def test_plain_view_reports_starts_gate_verdicts_and_totals(capsys: object) -> None:
    view = RunView(Console(file=io.StringIO(), force_terminal=False))
    with view:
        view(RunStarted(task_id="TASK-003", agent="backend-agent", model="m", provider="scripted",
                        workdir="/w", system_chars=1, tools=[]))  # fmt: skip
        usage = Usage(input_tokens=100, output_tokens=10)
        view(ModelReplied(task_id="TASK-003", turn=1, text="", tool_calls=0, stop_reason="end_turn",
                          usage=usage, cost_usd=0.5, duration_s=0.1))  # fmt: skip
        view(RunFinished(task_id="TASK-003", outcome="completed", turns=1, usage=Usage(), cost_usd=0.5,
                         duration_s=1.0))  # fmt: skip
        view(
            TaskStatus(task_id="TASK-003", status="verifying", detail="gate fail: sql-injection at app.py:3")
        )
        view(TaskStatus(task_id="TASK-003", status="completed"))
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "[TASK-003] backend-agent started on scripted" in err
    assert "[TASK-003] verifying: gate fail: sql-injection at app.py:3" in err
    assert "[TASK-003] completed" in err
    assert view.settled == {"TASK-003": "completed"}
    assert view.total_cost == 0.5 and view.tokens == 110
