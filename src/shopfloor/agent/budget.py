"""Hard limits for one agent run: turns, tokens, dollars and wall time, checked before each model call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from shopfloor.config.sections import LimitSettings
from shopfloor.models.base import Usage


@dataclass
class Budget:
    """Tracks spend against limits; `exceeded()` names the first limit reached, if any."""

    limits: LimitSettings
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    cost_known: bool = True
    turns: int = 0
    last_cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def add(self, usage: Usage, cost: float | None) -> None:
        self.turns += 1
        self.usage = self.usage + usage
        if cost is None:
            self.cost_known = False
        else:
            self.cost_usd += cost
            self.last_cost_usd = cost

    def absorb(self, usage: Usage, cost: float | None) -> None:
        """Spend made on the agent's behalf outside its own turns (a sub-agent, a side question)."""
        self.usage = self.usage + usage
        if cost is None:
            self.cost_known = False
        else:
            self.cost_usd += cost

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def exceeded(self) -> str | None:
        lim = self.limits
        if self.turns >= lim.max_turns:
            return f"turn limit reached ({self.turns} of {lim.max_turns})"
        if lim.max_tokens is not None and self.usage.total_tokens >= lim.max_tokens:
            return f"token budget spent ({self.usage.total_tokens} of {lim.max_tokens})"
        # Another turn is assumed to cost what the last one did: stopping early beats overspending.
        if lim.budget_usd is not None and self.cost_usd + self.last_cost_usd > lim.budget_usd:
            return (
                f"dollar budget spent (${self.cost_usd:.4f} of ${lim.budget_usd:.2f}; "
                f"the next turn would cost about ${self.last_cost_usd:.4f})"
            )
        if lim.max_wall_s is not None and self.elapsed_s >= lim.max_wall_s:
            return f"wall-time limit reached ({self.elapsed_s:.0f}s of {lim.max_wall_s:.0f}s)"
        return None
