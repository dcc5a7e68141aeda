"""What the agent and the gate are told about a task: the task prompt's parts and the gate's task."""

from __future__ import annotations

from pathlib import Path

from shopfloor.agent.prompts import AgentTask
from shopfloor.gate.report import GateTask
from shopfloor.orchestrator.tdd import says_regression
from shopfloor.queue.tasks import Task


def agent_task(task: Task, workdir: Path, note: str = "") -> AgentTask:
    extra = []
    for title, value in (
        ("DATA MODELS", task.data_models),
        ("SECURITY REQUIREMENTS", task.security_requirements),
        ("FILES", task.files),
    ):
        if value:
            extra.append(f"{title}:\n{value}")
    if note:
        extra.append(note)
    return AgentTask(
        task_id=task.id,
        objective=task.objective,
        criteria=list(task.criteria),
        workdir=workdir,
        context="\n\n".join(extra),
    )


def gate_task(task: Task, *, test_first: bool = False, protected: list[str] | None = None) -> GateTask:
    return GateTask(
        id=task.id,
        category=task.category,
        acceptance_criteria=list(task.criteria),
        test_first=test_first,
        regression_ok=test_first and says_regression(task),
        protected_paths=protected or [],
    )
