"""What an orchestrated run reports: the agents' events and the orchestrator's own, one typed union.

Everything that happens goes out once, through the run's `EventBus`; the state store, the task queue's
statuses, the spend meter and the live views are listeners, so each fact has one source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from shopfloor.agent.events import (
    EventBase,
    HookRan,
    ModelCalled,
    ModelReplied,
    Notice,
    RunFinished,
    RunStarted,
    SubagentFinished,
    SubagentStarted,
    TodosChanged,
    ToolAnswered,
    ToolCalled,
    UserMessage,
)
from shopfloor.gate.report import GateReport
from shopfloor.tools.redact import redact_model

TaskState = Literal[
    "pending", "in_progress", "verifying", "merging", "completed", "failed", "blocked", "skipped"
]
FINAL_STATES: frozenset[str] = frozenset({"completed", "failed", "blocked", "skipped"})


class RunStatusChanged(EventBase):
    """The run as a whole moved on: decomposing, running, an improvement loop, or its end."""

    kind: Literal["run_status"] = "run_status"
    status: str
    finished: float | None = None
    note: str = ""
    """With a finished run: one line on what stopped it or what to do next."""


class TaskStatus(EventBase):
    """A task moved on; `detail` says what is happening, `reason` why it ended as it did."""

    kind: Literal["task_status"] = "task_status"
    status: TaskState
    detail: str = ""
    reason: str = ""


Phase = Literal["setup", "agent", "gate", "retry", "merge"]


class TaskPhase(EventBase):
    """The task's work entered a phase; it lasts until the task's next phase or its end (the timeline).

    setup: placing the worktree and preparing the agent; agent: the agent's first session of an attempt;
    gate: the gate judging the tree; retry: the agent again after a failed gate round or a merge conflict;
    merge: the merge queue.
    """

    kind: Literal["task_phase"] = "task_phase"
    phase: Phase
    attempt: int


class TaskStarted(EventBase):
    """The task was routed and taken up (again, on resume)."""

    kind: Literal["task_started"] = "task_started"
    agent: str
    model: str


class TaskPlaced(EventBase):
    """The task has its branch and worktree."""

    kind: Literal["task_placed"] = "task_placed"
    branch: str
    worktree: str
    reused: bool = False


class EnvReady(EventBase):
    """The task's worktree has its project environment: installed, restored from the cache, or kept."""

    kind: Literal["env_ready"] = "env_ready"
    source: str
    """setup, cache, kept or none (nothing to install)."""
    seconds: float
    log: str | None = None
    """The setup log, for a person to read."""


class AttemptStarted(EventBase):
    kind: Literal["attempt_started"] = "attempt_started"
    attempt: int


class AttemptEnded(EventBase):
    kind: Literal["attempt_ended"] = "attempt_ended"
    attempt: int
    outcome: str
    """completed, failed or interrupted (the attempt record's word); `result` says precisely how."""
    result: str
    """The typed result's name: verified, gate_rejected, agent_stopped, lease_expired, ..."""
    reason: str = ""
    transcript: str | None = None


class GateRound(EventBase):
    """One verdict of the gate on the task's tree; every round is kept, failed ones included."""

    kind: Literal["gate_round"] = "gate_round"
    attempt: int
    round: int
    report: GateReport


class MergeConflicted(EventBase):
    kind: Literal["merge_conflict"] = "merge_conflict"
    files: list[str]
    integration: str


class TaskMerged(EventBase):
    kind: Literal["task_merged"] = "task_merged"
    commit: str
    verified_tree: str | None = None


class LeaseExpired(EventBase):
    kind: Literal["lease_expired"] = "lease_expired"
    attempt: int
    lease_s: float


class ProviderThrottled(EventBase):
    """The provider throttled a call (429, 529); the run's concurrency was lowered."""

    kind: Literal["throttle"] = "throttle"
    provider: str
    status: int | None
    pause_s: float
    throttled_count: int
    concurrency: int


class FailureReported(EventBase):
    """A task that ran out of gate rounds left a report for a person to read."""

    kind: Literal["failure_report"] = "failure_report"
    path: str


OrchestratorEvent = (
    RunStatusChanged
    | TaskStatus
    | TaskStarted
    | TaskPhase
    | TaskPlaced
    | EnvReady
    | AttemptStarted
    | AttemptEnded
    | GateRound
    | MergeConflicted
    | TaskMerged
    | LeaseExpired
    | ProviderThrottled
    | FailureReported
)
RunEvent = Annotated[
    RunStarted
    | UserMessage
    | ModelCalled
    | ModelReplied
    | ToolCalled
    | ToolAnswered
    | Notice
    | HookRan
    | TodosChanged
    | SubagentStarted
    | SubagentFinished
    | RunFinished
    | OrchestratorEvent,
    Field(discriminator="kind"),
]
RUN_EVENT_ADAPTER: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)
Listener = Callable[[RunEvent], None]


class EventBus:
    """Hands each event to every listener, in the order they subscribed."""

    def __init__(self, listeners: list[Listener] | None = None) -> None:
        self.listeners: list[Listener] = list(listeners or [])

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def emit(self, event: RunEvent) -> None:
        event = redact_model(event)  # every record of the run (store, reports, dashboard) starts here
        for listener in self.listeners:
            listener(event)
