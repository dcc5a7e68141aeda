"""Agents that plan rather than build: decomposition of the PRD, and research for improvement loops."""

from __future__ import annotations

import time

from shopfloor.agent.loop import AgentResult
from shopfloor.agent.markers import clear_markers
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.config.settings import AgentConfig
from shopfloor.layout import ISSUE_QUEUE as ISSUE_FILE
from shopfloor.layout import TASK_QUEUE as QUEUE_FILE
from shopfloor.orchestrator.context import RunContext
from shopfloor.queue.record_file import QueueProblem
from shopfloor.queue.tasks import load_task_queue, validate

FIX_ROUNDS = 3


class PlanningError(Exception):
    """Decomposition or research did not produce a usable result."""


def queue_problems(rc: RunContext) -> list[QueueProblem]:
    path = rc.queue_path
    if not path.is_file():
        return [QueueProblem(str(path), 1, None, "the file was not written")]
    queue = load_task_queue(path)
    problems = validate(queue)
    if not problems and not queue.tasks:
        problems.append(QueueProblem(str(path), 1, None, "the queue holds no tasks"))
    return problems


async def decompose(rc: RunContext) -> AgentResult:
    """Run the decomposition agent on PRD.md; send validation errors back until the queue is clean."""
    tdd = rc.settings.run.tdd
    criteria = [
        f"{QUEUE_FILE} exists and every task has the Field/Value table, an objective, acceptance criteria "
        "and dependencies",
        "Task IDs are unique; categories, complexities and dependencies are valid; there are no cycles",
    ]
    if tdd:
        criteria.append(
            "Test-first: for each build task TASK-NNN add a testing task TASK-TNN that writes its tests "
            "first, and make the build task depend on it"
        )
    task = AgentTask(
        task_id="decomposition",
        objective=f"Read PRD.md and break it into small, verifiable tasks written to {QUEUE_FILE}.",
        criteria=criteria,
        workdir=rc.project,
    )
    return await _run_until_valid(rc, "decomposition-agent", task)


def _prepare(rc: RunContext, agent: str, task: AgentTask) -> PreparedAgent:
    """A planning agent works in the project's own checkout, on the run's shared budget and backoff."""
    rc.store.upsert_task(rc.run_id, task.task_id, agent=agent, status="in_progress", started=time.time())
    return prepare(
        AgentRun(
            agent=agent,
            task=task,
            settings=AgentConfig.of(rc.settings),
            model_spec=rc.model_spec_for(task.task_id, None),
            run_id=f"run-{rc.run_id}",
            transcript_root=rc.project,
            guards=[rc.spend.guard],
            on_event=rc.record,
            backoffs=rc.backoffs,
        )
    )


async def _run_until_valid(rc: RunContext, agent: str, task: AgentTask) -> AgentResult:
    clear_markers(rc.project, task.task_id)
    prepared = _prepare(rc, agent, task)
    prepared.announce()
    ok = False
    try:
        result = await _checked(rc, agent, task, prepared)
        ok = True
        return result
    finally:
        rc.store.upsert_task(rc.run_id, task.task_id, status="completed" if ok else "failed")
        await prepared.aclose()


async def _checked(rc: RunContext, agent: str, task: AgentTask, prepared: PreparedAgent) -> AgentResult:
    """Run the agent, then hand the queue's problems back to it until the queue is valid."""
    result = await prepared.loop.run()
    for _ in range(FIX_ROUNDS):
        if result.outcome != "completed":
            raise PlanningError(f"{agent} ended {result.outcome}: {result.reason}")
        problems = queue_problems(rc)
        if not problems:
            return result
        clear_markers(rc.project, task.task_id)
        listing = "\n".join(f"- {p}" for p in problems)
        result = await prepared.loop.send(
            f"The task queue has problems; fix each one in {QUEUE_FILE} and write the marker again:\n"
            + listing
        )
    problems = queue_problems(rc)
    if problems:
        raise PlanningError("the task queue is still invalid:\n" + "\n".join(f"  {p}" for p in problems))
    return result


async def research(rc: RunContext) -> AgentResult:
    """Run the research agent, which appends improvement issues to the issue queue."""
    task = AgentTask(
        task_id="research",
        objective=(
            "Study the codebase and find the most valuable improvements (bugs, security gaps, missing "
            f"tests, rough edges); append each as a pending issue to {ISSUE_FILE}."
        ),
        criteria=[f"{ISSUE_FILE} holds at least one new pending issue in the issue queue format"],
        workdir=rc.project,
    )
    clear_markers(rc.project, task.task_id)
    prepared = _prepare(rc, "research-agent", task)
    prepared.announce()
    result = None
    try:
        result = await prepared.loop.run()
        return result
    finally:
        done = result is not None and result.outcome == "completed"
        rc.store.upsert_task(rc.run_id, task.task_id, status="completed" if done else "failed")
        await prepared.aclose()
