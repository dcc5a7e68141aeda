"""Agents that plan rather than build: decomposition of the PRD, and research for improvement loops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from shopfloor.agent.events import Event
from shopfloor.agent.markers import clear_markers
from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import PreparedAgent
from shopfloor.layout import ISSUE_QUEUE, TASK_QUEUE, Layout
from shopfloor.orchestrator.events import RunEvent, TaskStarted, TaskStatus
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.queue.files import NotUtf8Error
from shopfloor.queue.record_file import QueueProblem
from shopfloor.queue.tasks import load_task_queue, validate

FIX_ROUNDS = 3
DECOMPOSITION_AGENT = "decomposition-agent"
RESEARCH_AGENT = "research-agent"


class PlanningError(Exception):
    """Decomposition or research did not produce a usable result."""


def queue_problems(path: Path) -> list[QueueProblem]:
    if not path.is_file():
        return [QueueProblem(str(path), 1, None, "the file was not written")]
    try:
        queue = load_task_queue(path)
    except NotUtf8Error as err:
        return [QueueProblem(str(path), err.line, None, "not UTF-8 text; save the file as UTF-8")]
    problems = validate(queue)
    if not problems and not queue.tasks:
        problems.append(QueueProblem(str(path), 1, None, "the queue holds no tasks"))
    return problems


class Planner:
    """Runs the planning agents in the project's own checkout, on the run's budget and backoff.

    They read the whole project but may write only where their output goes (the queue file and their
    marker): a PRD or a codebase is untrusted input, and the checkout holds git metadata and the
    configuration of every later run.
    """

    def __init__(
        self, project: Path, tdd: bool, launcher: AgentLauncher, emit: Callable[[RunEvent], None]
    ) -> None:
        self.project = project
        self.tdd = tdd
        self.launcher = launcher
        self.emit = emit

    async def decompose(self) -> AgentResult:
        """Run the decomposition agent on PRD.md; send validation errors back until the queue is clean."""
        criteria = [
            f"{TASK_QUEUE} exists and every task has the Field/Value table, an objective, acceptance "
            "criteria and dependencies",
            "Task IDs are unique; categories, complexities and dependencies are valid; there are no cycles",
        ]
        if self.tdd:
            criteria.append(
                "Test-first: for each build task TASK-NNN add a testing task TASK-TNN that writes its tests "
                "first, and make the build task depend on it"
            )
        task = AgentTask(
            task_id="decomposition",
            objective=f"Read PRD.md and break it into small, verifiable tasks written to {TASK_QUEUE}.",
            criteria=criteria,
            workdir=self.project,
        )
        return await self._run(DECOMPOSITION_AGENT, task, self._until_valid, TASK_QUEUE)

    async def research(self) -> AgentResult:
        """Run the research agent, which appends improvement issues to the issue queue."""
        task = AgentTask(
            task_id="research",
            objective=(
                "Study the codebase and find the most valuable improvements (bugs, security gaps, missing "
                f"tests, rough edges); append each as a pending issue to {ISSUE_QUEUE}."
            ),
            criteria=[f"{ISSUE_QUEUE} holds at least one new pending issue in the issue queue format"],
            workdir=self.project,
        )

        async def once(agent: str, prepared: PreparedAgent) -> AgentResult:
            return await prepared.loop.run()

        return await self._run(RESEARCH_AGENT, task, once, ISSUE_QUEUE)

    async def _run(
        self,
        agent: str,
        task: AgentTask,
        drive: Callable[[str, PreparedAgent], Awaitable[AgentResult]],
        output: Path,
    ) -> AgentResult:
        tid = task.task_id
        clear_markers(self.project, tid)
        markers = Layout(self.project).marker_dir
        markers.mkdir(parents=True, exist_ok=True)
        self.emit(TaskStarted(task_id=tid, agent=agent, model=self.launcher.spec_for(tid, None) or "inherit"))
        self.emit(TaskStatus(task_id=tid, status="in_progress"))
        on_event: Callable[[Event], None] = self.emit
        prepared = self.launcher.prepare(agent, task, on_event, writable=(markers, self.project / output))
        prepared.announce()
        result: AgentResult | None = None
        try:
            result = await drive(agent, prepared)
            return result
        finally:
            done = result is not None and result.outcome == "completed"
            reason = "" if done or result is None else result.reason
            self.emit(TaskStatus(task_id=tid, status="completed" if done else "failed", reason=reason))
            await prepared.aclose()

    async def _until_valid(self, agent: str, prepared: PreparedAgent) -> AgentResult:
        """Run the agent, then hand the queue's problems back to it until the queue is valid."""
        queue = Layout(self.project).task_queue
        result = await prepared.loop.run()
        for _ in range(FIX_ROUNDS):
            if result.outcome != "completed":
                raise PlanningError(f"{agent} ended {result.outcome}: {result.reason}")
            problems = queue_problems(queue)
            if not problems:
                return result
            clear_markers(self.project, prepared.loop.task.task_id)
            listing = "\n".join(f"- {p}" for p in problems)
            result = await prepared.loop.send(
                f"The task queue has problems; fix each one in {TASK_QUEUE} and write the marker again:\n"
                + listing
            )
        problems = queue_problems(queue)
        if problems:
            raise PlanningError("the task queue is still invalid:\n" + "\n".join(f"  {p}" for p in problems))
        return result
