"""The run's dollars: reservations for running tasks, the spend counted from events, the guard."""

from __future__ import annotations

from shopfloor.agent.events import ModelReplied
from shopfloor.models.base import Usage
from shopfloor.orchestrator.spend import RunSpend


def replied(cost: float | None) -> ModelReplied:
    return ModelReplied(
        task_id="T", turn=1, text="", tool_calls=0, stop_reason="end_turn", usage=Usage(), cost_usd=cost,
        duration_s=0.1,
    )  # fmt: skip


def test_tasks_started_together_see_each_others_reservation() -> None:
    spend = RunSpend(budget_usd=10.0, per_task_usd=4.0)
    assert spend.claim("A") is None
    assert spend.claim("B") is None
    refused = spend.claim("C")  # 10 - 8 reserved leaves 2, less than a task's 4
    assert refused is not None and "$2.00" in refused and "$4.00" in refused
    spend.release("A")
    assert spend.claim("C") is None


def test_spend_is_counted_from_the_run_events_and_the_guard_stops_agents() -> None:
    spend = RunSpend(budget_usd=1.0, per_task_usd=None)
    spend(replied(0.6))
    spend(replied(None))  # an unknown price adds nothing
    assert spend.spent_usd == 0.6 and spend.guard() is None
    spend(replied(0.5))
    said = spend.guard()
    assert said is not None and "run budget spent" in said
    assert spend.can_start("X") is not None


def test_without_a_budget_nothing_is_refused() -> None:
    spend = RunSpend(budget_usd=None, per_task_usd=5.0)
    spend(replied(1000.0))
    assert spend.claim("A") is None and spend.guard() is None
