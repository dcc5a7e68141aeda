"""The attempt state machine, on a plain folder: real agent setup and tools, the scripted model, and
verdicts scripted at the gate seam, so each path through the machine is seen without git."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from shopfloor.agent.events import Event, UserMessage
from shopfloor.agent.markers import clear_markers
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.config.sections import LimitSettings, SandboxSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.gate.report import GateReport
from shopfloor.models.base import Model, ModelRequest, ModelResponse, RetryableModelError
from shopfloor.models.scripted import ScriptedModel
from shopfloor.orchestrator.attempt import (
    AgentStopped,
    Attempt,
    AttemptLimits,
    AttemptResult,
    Expired,
    GateCount,
    GateRejected,
    PrepareFailed,
    Throttled,
    Verified,
    describe,
    may_retry,
)
from shopfloor.orchestrator.events import GateRound, LeaseExpired, RunEvent, TaskPhase, TaskStatus

pytestmark = pytest.mark.anyio
TID = "TASK-007"
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
AGENT = """---
name: worker
description: Does what the task says.
tools: Read, Write, Edit, Bash
model: sonnet
---
You do the task and write the completion marker.
"""


def marker() -> dict[str, Any]:
    return {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]}


def edit(name: str, text: str) -> dict[str, Any]:
    return {"tool_calls": [{"tool": "Write", "input": {"file_path": "{workdir}/" + name, "content": text}}]}


def report(verdict: str, *reasons: str) -> GateReport:
    now = datetime.now(UTC)
    return GateReport(
        task_id=TID, tree=".", tree_hash=f"tree-{verdict}-{len(reasons)}", verdict=verdict,  # type: ignore[arg-type]
        reasons=list(reasons), started_at=now, finished_at=now,
    )  # fmt: skip


class Bench:
    """AttemptServices for a folder with no git: saves are noted, verdicts come from a list."""

    def __init__(
        self, root: Path, model: Model, verdicts: list[GateReport], *, agent: str = "worker"
    ) -> None:
        self.root = root
        self.model = model
        self.verdicts = verdicts
        self.agent = agent
        self.saved: list[str] = []
        self.gated = 0
        self.throttles = 0
        (root / ".claude" / "agents").mkdir(parents=True, exist_ok=True)
        (root / ".claude" / "agents" / "worker.md").write_text(AGENT)

    def prepare(self, note: str, on_event: Callable[[Event], None]) -> PreparedAgent:
        task = AgentTask(task_id=TID, objective="Add the feature.", criteria=["it works"], workdir=self.root)
        config = AgentConfig(limits=LimitSettings(max_turns=20), sandbox=SandboxSettings(enabled=False))
        run = AgentRun(agent=self.agent, task=task, settings=config, model=self.model, on_event=on_event)
        return prepare(run)

    async def save(self, message: str) -> None:
        self.saved.append(message)

    async def gate(self) -> GateReport:
        self.gated += 1
        return self.verdicts.pop(0)

    def clear_marker(self) -> None:
        clear_markers(self.root, TID)

    def throttled_count(self) -> int:
        return self.throttles


async def attempt_on(
    bench: Bench, *, gate_rounds: int = 3, lease_s: float = 30.0, resumes: int = 5
) -> tuple[Attempt, list[RunEvent]]:
    events: list[RunEvent] = []
    limits = AttemptLimits(gate_rounds=gate_rounds, lease_s=lease_s, throttled_resumes=resumes)
    return Attempt(TID, 1, bench, limits, events.append, label="worker", gates=GateCount()), events


async def run(bench: Bench, **kw: Any) -> tuple[AttemptResult, Attempt, list[RunEvent]]:
    attempt, events = await attempt_on(bench, **kw)
    try:
        return await attempt.run(), attempt, events
    finally:
        await attempt.aclose()


async def test_a_marker_and_a_passing_gate_make_a_verified_attempt(tmp_path: Path) -> None:
    bench = Bench(tmp_path, ScriptedModel([edit("a.py", "A = 1\n"), marker(), "Done."]), [report("pass")])
    result, attempt, events = await run(bench)
    assert isinstance(result, Verified) and attempt.verified_tree == "tree-pass-0"
    assert (tmp_path / "a.py").read_text() == "A = 1\n"
    assert bench.saved == ["TASK-007: worker work (attempt 1)"]  # committed before the gate looked
    [round_] = [e for e in events if isinstance(e, GateRound)]
    assert (round_.attempt, round_.round, round_.report.verdict) == (1, 1, "pass")
    assert [e.status for e in events if isinstance(e, TaskStatus)] == ["verifying", "verifying"]


async def test_a_failed_gate_round_goes_back_to_the_same_agent_which_fixes_it(tmp_path: Path) -> None:
    model = ScriptedModel(
        [edit("a.py", "bad\n"), marker(), "Done.", edit("a.py", "good\n"), marker(), "Fixed."]
    )
    bench = Bench(tmp_path, model, [report("fail", "tests do not exercise the change"), report("pass")])
    result, attempt, events = await run(bench)
    assert isinstance(result, Verified)
    assert (tmp_path / "a.py").read_text() == "good\n"
    assert attempt.gates == GateCount(runs=2, failed=1)
    told = [e.text for e in events if isinstance(e, UserMessage)]
    # The task prompt, then the gate report.
    assert len(told) == 2 and "tests do not exercise the change" in told[1]
    assert [e.round for e in events if isinstance(e, GateRound)] == [1, 2]
    assert len(bench.saved) == 2  # the fix was committed before the second round
    # The timeline's phases: the agent's fix after the failed round is a retry.
    phases = [e.phase for e in events if isinstance(e, TaskPhase)]
    assert phases == ["setup", "agent", "gate", "retry", "gate"]


async def test_gate_rounds_run_out_and_the_attempt_is_rejected_without_retry(tmp_path: Path) -> None:
    turns = [marker(), "Done."] * 2
    bench = Bench(tmp_path, ScriptedModel(turns), [report("fail", "lint failed"), report("fail", "still")])
    result, attempt, _ = await run(bench, gate_rounds=2)
    assert isinstance(result, GateRejected) and result.report.reasons == ["still"]
    assert attempt.gates.failed == 2 and not may_retry(result)
    assert describe(result) == "verification failed: still"


async def test_rounds_used_by_an_earlier_attempt_count_against_the_task(tmp_path: Path) -> None:
    bench = Bench(tmp_path, ScriptedModel([marker(), "Done."]), [report("fail", "once more")])
    limits = AttemptLimits(gate_rounds=2, lease_s=30)
    attempt = Attempt(TID, 2, bench, limits, lambda _e: None, gates=GateCount(runs=1, failed=1))
    try:
        result = await attempt.run()
    finally:
        await attempt.aclose()
    assert isinstance(result, GateRejected) and attempt.gates == GateCount(runs=2, failed=2)


async def test_no_marker_is_an_agent_stop_that_a_new_attempt_may_fix(tmp_path: Path) -> None:
    bench = Bench(tmp_path, ScriptedModel(["I think I'm done.", "Really.", "Yes."]), [])
    result, _, _ = await run(bench)
    assert isinstance(result, AgentStopped) and result.outcome == "incomplete"
    assert may_retry(result) and bench.gated == 0


async def test_a_spent_budget_is_not_retried(tmp_path: Path) -> None:
    spin = [{"tool_calls": [{"tool": "Read", "input": {"file_path": "{workdir}/x"}}]}] * 30
    bench = Bench(tmp_path, ScriptedModel(spin), [])
    result, _, _ = await run(bench)
    assert isinstance(result, AgentStopped) and result.outcome == "budget_exceeded"
    assert not may_retry(result)


async def test_an_unknown_agent_fails_to_prepare_and_no_retry_can_help(tmp_path: Path) -> None:
    bench = Bench(tmp_path, ScriptedModel([]), [], agent="nobody")
    result, attempt, _ = await run(bench)
    assert isinstance(result, PrepareFailed) and "no agent named 'nobody'" in result.reason
    assert not may_retry(result) and attempt.transcript is None


class Silent:
    """A model service that never answers (the agent goes silent)."""

    def __init__(self) -> None:
        self.profile = ScriptedModel([]).profile

    async def check_fits(self, system: str, tools: list[Any]) -> None:
        return None

    async def complete(self, request: ModelRequest) -> ModelResponse:
        await anyio.sleep(60)
        raise AssertionError("unreachable")


async def test_a_silent_agent_loses_its_lease(tmp_path: Path) -> None:
    bench = Bench(tmp_path, Silent(), [])  # type: ignore[arg-type]
    with anyio.fail_after(10):
        result, _, events = await run(bench, lease_s=0.3)
    assert isinstance(result, Expired) and may_retry(result)
    assert [e.lease_s for e in events if isinstance(e, LeaseExpired)] == [0.3]
    assert bench.saved  # whatever it had done is committed for the next attempt


class Overloaded:
    """A model service that is overloaded for the first `bad` calls, then plays a script."""

    def __init__(self, bench_ref: list[Bench], bad: int, turns: list[Any]) -> None:
        self.script = ScriptedModel(turns)
        self.profile = self.script.profile
        self.bad = bad
        self.bench_ref = bench_ref

    async def check_fits(self, system: str, tools: list[Any]) -> None:
        return None

    async def complete(self, request: ModelRequest) -> ModelResponse:
        if self.bad:
            self.bad -= 1
            self.bench_ref[0].throttles += 1  # the run's shared backoff saw the provider throttle
            raise RetryableModelError("overloaded", status=529)
        return await self.script.complete(request)


async def test_throttling_resumes_the_same_session_instead_of_costing_an_attempt(tmp_path: Path) -> None:
    ref: list[Bench] = []
    model = Overloaded(ref, bad=2, turns=[marker(), "Done."])
    bench = Bench(tmp_path, model, [report("pass")])  # type: ignore[arg-type]
    ref.append(bench)
    result, _, events = await run(bench)
    assert isinstance(result, Verified)
    said = [e.detail for e in events if isinstance(e, TaskStatus) and "throttled" in e.detail]
    assert len(said) == 2


async def test_throttling_that_outlasts_every_resume_ends_the_attempt_as_throttled(tmp_path: Path) -> None:
    ref: list[Bench] = []
    model = Overloaded(ref, bad=10, turns=[marker(), "Done."])
    bench = Bench(tmp_path, model, [])  # type: ignore[arg-type]
    ref.append(bench)
    result, _, _ = await run(bench, resumes=2)
    assert isinstance(result, Throttled) and "overloaded" in result.reason and may_retry(result)


async def test_resume_continues_the_session_and_verifies_again(tmp_path: Path) -> None:
    turns = [marker(), "Done.", edit("merge.txt", "resolved\n"), marker(), "Resolved."]
    bench = Bench(tmp_path, ScriptedModel(turns), [report("pass"), report("pass")])
    attempt, events = await attempt_on(bench)
    try:
        first = await attempt.run()
        assert isinstance(first, Verified)
        again = await attempt.resume("Your branch conflicts with main in: merge.txt.")
    finally:
        await attempt.aclose()
    assert isinstance(again, Verified) and (tmp_path / "merge.txt").read_text() == "resolved\n"
    told = [e.text for e in events if isinstance(e, UserMessage)]
    assert told[-1] == "Your branch conflicts with main in: merge.txt."
    assert [e.round for e in events if isinstance(e, GateRound)] == [1, 2]
    phases = [e.phase for e in events if isinstance(e, TaskPhase)]
    assert phases == ["setup", "agent", "gate", "retry", "gate"]
