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


def test_each_phase_and_each_gate_round_is_said_as_it_starts(capsys: object) -> None:
    from shopfloor.orchestrator.events import RunStatusChanged

    view = RunView(Console(file=io.StringIO(), force_terminal=False))
    with view:
        view(RunStatusChanged(status="decomposing"))
        view(RunStatusChanged(status="running"))
        view(RunStatusChanged(status="running"))  # a resume says it again: shown once
        view(RunStarted(task_id="TASK-001", agent="backend-agent", model="m", provider="scripted",
                        workdir="/w", system_chars=1, tools=[]))  # fmt: skip
        view(RunFinished(task_id="TASK-001", outcome="completed", turns=1, usage=Usage(), cost_usd=0.0,
                         duration_s=1.0))  # fmt: skip
        view(TaskStatus(task_id="TASK-001", status="verifying"))
        # While the gate runs, the live table keeps the task on screen with a spinner and the gate's time.
        shown = Console(file=io.StringIO(), width=120)
        shown.print(view._render())
        assert "gate 0s" in shown.file.getvalue()  # type: ignore[attr-defined]
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err.count("working through the task queue") == 1
    assert err.index("decomposing PRD.md") < err.index("working through the task queue")
    assert "[TASK-001] gate: running the project's checks and the security checklist" in err
