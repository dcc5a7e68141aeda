"""Budgets: each limit stops the run before the call that would break it."""

from __future__ import annotations

from shopfloor.agent.budget import Budget
from shopfloor.config.sections import LimitSettings
from shopfloor.models.base import Usage

TURN = Usage(input_tokens=1_000, output_tokens=200)


def test_the_next_turn_is_assumed_to_cost_what_the_last_did() -> None:
    budget = Budget(LimitSettings(budget_usd=1.0))
    budget.add(TURN, 0.45)
    assert budget.exceeded() is None  # 0.45 spent, 0.45 more would still fit
    budget.add(TURN, 0.45)
    said = budget.exceeded()  # 0.90 spent: under the budget, but another such turn would not fit
    assert said is not None and "dollar budget" in said and "$0.4500" in said


def test_turns_tokens_and_wall_time_each_stop_the_run() -> None:
    budget = Budget(LimitSettings(max_turns=2))
    budget.add(TURN, None)
    assert budget.exceeded() is None
    budget.add(TURN, None)
    assert "turn limit reached (2 of 2)" in (budget.exceeded() or "")

    tokens = Budget(LimitSettings(max_tokens=2_400))
    tokens.add(TURN, None)
    assert tokens.exceeded() is None
    tokens.add(TURN, None)
    assert "token budget spent" in (tokens.exceeded() or "")

    wall = Budget(LimitSettings(max_wall_s=0.5))
    wall.started -= 1.0
    assert "wall-time limit" in (wall.exceeded() or "")


def test_an_unknown_price_makes_the_cost_unknown_not_zero() -> None:
    budget = Budget(LimitSettings(budget_usd=1.0))
    budget.add(TURN, None)
    assert not budget.cost_known and budget.exceeded() is None
