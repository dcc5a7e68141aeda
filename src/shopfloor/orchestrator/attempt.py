"""One attempt at a task, as a small state machine: the agent works, its work is committed, the gate
judges the tree. A failed gate round goes back to the same agent; what comes out is a typed result.

The attempt never merges and never writes the run's state: it reports through `emit` and returns its
result to the coordinator, which merges a verified tree and resumes the attempt on a merge conflict.
It takes a few narrow services, so an executor can run it wherever the task's worktree lives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import anyio

from shopfloor.agent.events import Event
from shopfloor.agent.lease import Lease
from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.setup import AgentSetupError, PreparedAgent, Session
from shopfloor.gate.feedback import format_report_for_agent
from shopfloor.gate.report import GateReport
from shopfloor.orchestrator.events import (
    GateRound,
    LeaseExpired,
    Phase,
    RunEvent,
    TaskPhase,
    TaskStatus,
)


@dataclass(frozen=True)
class Verified:
    """The gate passed on the tree the agent left; the coordinator may merge it."""

    report: GateReport


@dataclass(frozen=True)
class GateRejected:
    """The gate failed and the task's gate rounds are used up."""

    report: GateReport


@dataclass(frozen=True)
class AgentStopped:
    """The agent ended without its marker: incomplete, gave up, or out of budget."""

    outcome: str
    reason: str


@dataclass(frozen=True)
class Expired:
    """The agent went silent for longer than its lease."""

    seconds: float


@dataclass(frozen=True)
class EnvironmentBroken:
    """The gate could not judge the tree: the environment is broken (a runner not installed, dependencies
    missing, a service down). The agent is not blamed and no further attempt is spent on it."""

    report: GateReport


@dataclass(frozen=True)
class Throttled:
    """The provider's throttling or outage outlasted every retry and resume."""

    reason: str


@dataclass(frozen=True)
class PrepareFailed:
    """The agent could not be set up (no such agent, a bad model spec): no retry can help."""

    reason: str


@dataclass(frozen=True)
class Crashed:
    """The agent's machinery raised; its work is saved and another attempt may go on from it."""

    reason: str


AttemptResult = (
    Verified | GateRejected | EnvironmentBroken | AgentStopped | Expired | Throttled | PrepareFailed | Crashed
)


def describe(result: AttemptResult) -> str:
    """One line for a person: why the attempt ended as it did."""
    match result:
        case Verified():
            return "verified"
        case GateRejected(report=report):
            return "verification failed: " + "; ".join(report.reasons)
        case EnvironmentBroken(report=report):
            return "environment broken: " + "; ".join(report.environment)
        case AgentStopped(outcome=outcome, reason=reason):
            return f"agent ended {outcome}: {reason}"
        case Expired(seconds=seconds):
            return f"the agent went silent for {seconds:g}s (lease expired); its worktree is kept for a retry"
        case Throttled(reason=reason) | PrepareFailed(reason=reason) | Crashed(reason=reason):
            return reason


def may_retry(result: AttemptResult) -> bool:
    """Whether a fresh attempt could do better than this one did."""
    match result:
        case GateRejected() | EnvironmentBroken() | PrepareFailed() | Verified():
            return False
        case AgentStopped(outcome=outcome):
            return outcome != "budget_exceeded"
        case _:
            return True


def result_name(result: AttemptResult) -> str:
    return {
        Verified: "verified",
        GateRejected: "gate_rejected",
        EnvironmentBroken: "environment_broken",
        AgentStopped: "agent_stopped",
        Expired: "lease_expired",
        Throttled: "throttled",
        PrepareFailed: "prepare_failed",
        Crashed: "crashed",
    }[type(result)]


class AttemptServices(Protocol):
    """What an attempt needs from where it runs."""

    def prepare(self, note: str, on_event: Callable[[Event], None]) -> PreparedAgent:
        """Build the agent for the task's worktree (blocking: reads files; run in a worker thread)."""
        ...

    async def save(self, message: str) -> None:
        """Commit the worktree's work as it stands."""
        ...

    async def gate(self) -> GateReport:
        """Verify the worktree's tree and write the verdict beside it."""
        ...

    def clear_marker(self) -> None:
        """Remove the agent's marker, so only a new one counts."""
        ...

    def throttled_count(self) -> int:
        """How often the run's shared backoff has seen the provider throttle so far."""
        ...


@dataclass
class GateCount:
    """The gate's rounds on one task, across its attempts."""

    runs: int = 0
    failed: int = 0


@dataclass(frozen=True)
class AttemptLimits:
    gate_rounds: int
    """Failed gate rounds the task may have in all; the one that reaches this ends it."""
    lease_s: float
    throttled_resumes: int = 5
    """How often one session may go on after throttling outlasted a model call's retries."""


class Attempt:
    """Drive with `run(note)`; after a merge conflict, `resume(message)` continues the same session."""

    def __init__(
        self,
        task_id: str,
        n: int,
        services: AttemptServices,
        limits: AttemptLimits,
        emit: Callable[[RunEvent], None],
        *,
        label: str = "agent",
        gates: GateCount | None = None,
    ) -> None:
        self.task_id = task_id
        self.n = n
        self.services = services
        self.limits = limits
        self.emit = emit
        self.label = label
        self.gates = gates or GateCount()
        self.lease = Lease(limits.lease_s)
        self.prepared: PreparedAgent | None = None
        self.verified_tree: str | None = None
        """The tree hash of the last verified result."""

    @property
    def transcript(self) -> str | None:
        return str(self.prepared.transcript.path) if self.prepared is not None else None

    async def run(self, note: str = "") -> AttemptResult:
        self.services.clear_marker()
        self._phase("setup")
        try:
            self.prepared = await anyio.to_thread.run_sync(self.services.prepare, note, self._on_event)
        except AgentSetupError as err:
            return PrepareFailed(str(err))
        self._phase("agent")
        self.prepared.announce()
        return await self._work(self.prepared.loop.run)

    async def resume(self, message: str) -> AttemptResult:
        assert self.prepared is not None, "resume() follows run()"
        self.services.clear_marker()
        self._phase("retry")
        return await self._work(partial(self.prepared.loop.send, message))

    async def aclose(self) -> None:
        if self.prepared is not None:
            with anyio.CancelScope(shield=True):
                await self.prepared.aclose()

    async def save(self, why: str) -> None:
        await self.services.save(f"{self.task_id}: {why} (attempt {self.n})")

    async def _work(self, work: Callable[[], Awaitable[AgentResult]]) -> AttemptResult:
        """Session, commit, gate; a failed gate round sends the report back and goes round again."""
        assert self.prepared is not None
        loop = self.prepared.loop
        result = await self._session(loop, work)
        while True:
            await self.save(f"{self.label} work")
            if result is None:
                self.emit(LeaseExpired(task_id=self.task_id, attempt=self.n, lease_s=self.lease.seconds))
                return Expired(self.lease.seconds)
            if result.model_error:
                return Throttled(result.reason)
            if result.outcome != "completed":
                return AgentStopped(result.outcome, result.reason)
            report = await self._gate()
            if report.verdict == "pass":
                self.verified_tree = report.tree_hash
                return Verified(report)
            if report.verdict == "environment":
                return EnvironmentBroken(report)
            if self.gates.failed >= self.limits.gate_rounds:
                return GateRejected(report)
            self.emit(
                TaskStatus(
                    task_id=self.task_id, status="in_progress", detail="gate failed, report sent to the agent"
                )
            )
            self.services.clear_marker()
            self._phase("retry")
            result = await self._session(loop, partial(loop.send, format_report_for_agent(report)))

    async def _gate(self) -> GateReport:
        self._phase("gate")
        self.emit(TaskStatus(task_id=self.task_id, status="verifying"))
        report = await self.services.gate()
        self.gates.runs += 1
        self.gates.failed += report.verdict == "fail"
        self.emit(GateRound(task_id=self.task_id, attempt=self.n, round=self.gates.runs, report=report))
        said = f"gate {report.verdict}" + (": " + "; ".join(report.reasons) if report.reasons else "")
        self.emit(TaskStatus(task_id=self.task_id, status="verifying", detail=said))
        return report

    async def _session(self, loop: Session, work: Callable[[], Awaitable[AgentResult]]) -> AgentResult | None:
        """Run `work` under the lease. A session the provider's throttling cut off (its retries ran out)
        goes on where it stopped once the shared backoff allows, instead of costing an attempt."""
        seen = self.services.throttled_count()
        result = await self.lease.hold(work)
        for _ in range(self.limits.throttled_resumes):
            if result is None or not result.model_error or self.services.throttled_count() == seen:
                break
            seen = self.services.throttled_count()
            self.emit(
                TaskStatus(
                    task_id=self.task_id,
                    status="in_progress",
                    detail="provider throttled; the session goes on",
                )
            )
            result = await self.lease.hold(loop.run)
        return result

    def _phase(self, phase: Phase) -> None:
        self.emit(TaskPhase(task_id=self.task_id, phase=phase, attempt=self.n))

    def _on_event(self, event: Event) -> None:
        self.lease.renew()
        self.emit(event)
