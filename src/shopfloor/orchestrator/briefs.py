"""What the agent and the gate are told about a task: the task prompt's parts and the gate's task.

Every field of the task reaches the agent: the ones shopfloor acts on are named after the contract lines,
and everything else the queue holds for the task (notes, test code, test specifications, steps, test
IDs, mock policy, ...) follows as it was written. The gate gets the task's build and test commands.
"""

from __future__ import annotations

from pathlib import Path

from shopfloor.agent.prompts import AgentTask
from shopfloor.gate.report import GateTask, TaskCommand
from shopfloor.orchestrator.tdd import says_regression
from shopfloor.queue.tasks import Task


def agent_task(task: Task, workdir: Path, note: str = "") -> AgentTask:
    extra = []
    fields = _fields(task)
    if fields:
        extra.append("TASK FIELDS:\n" + "\n".join(f"- {name}: {value}" for name, value in fields))
    for title, value in (
        ("DATA MODELS", task.data_models),
        ("SECURITY REQUIREMENTS", task.security_requirements),
        ("FILES", task.files),
        *((name.upper(), text) for name, text in task.extra_sections.items()),
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


def _fields(task: Task) -> list[tuple[str, str]]:
    """The task's single-line fields: the ones shopfloor reads, then the rest as written."""
    out: list[tuple[str, str]] = []
    if task.title:
        out.append(("Title", task.title))
    if task.priority:
        out.append(("Priority", task.priority))
    if task.mode == "write":
        out.append(("Mode", "write (write the tests first: they fail until the code they test exists)"))
    elif task.mode == "verify":
        out.append(("Mode", "verify (run the tests against the code that is there)"))
    if task.services:
        out.append(("Required Services", ", ".join(task.services)))
    for kind, command, origin in task.check_commands():
        out.append((f"{kind.title()} Command", command + (" (the project's)" if origin == "project" else "")))
    return out + list(task.extra_fields.items())


def gate_task(task: Task, *, test_first: bool = False, protected: list[str] | None = None) -> GateTask:
    return GateTask(
        id=task.id,
        category=task.category,
        acceptance_criteria=list(task.criteria),
        test_first=test_first,
        regression_ok=test_first and says_regression(task),
        protected_paths=protected or [],
        commands=[TaskCommand(kind=k, command=c, origin=o) for k, c, o in task.check_commands()],
    )
