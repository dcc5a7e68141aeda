"""How an agent's turn ends (a typed step) and how its run ends (an `AgentResult`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shopfloor.agent.events import OutcomeKind
from shopfloor.models.base import Usage

__all__ = [
    "AgentResult",
    "BudgetExceeded",
    "Completed",
    "Continue",
    "Failed",
    "FailureCause",
    "Incomplete",
    "Step",
]


@dataclass(frozen=True)
class Continue:
    """The turn asked for tools, or was reminded: ask the model again."""


@dataclass(frozen=True)
class Completed:
    pass


@dataclass(frozen=True)
class Incomplete:
    reason: str


@dataclass(frozen=True)
class BudgetExceeded:
    reason: str


FailureCause = Literal["model_error", "gave_up", "interrupted", "agent_error"]
"""Why a run failed: the provider's errors outlasted their retries, the agent wrote its `.failed`
marker, the run was cut short, or the agent (an external program) broke."""


@dataclass(frozen=True)
class Failed:
    reason: str
    cause: FailureCause = "agent_error"


Step = Continue | Completed | Incomplete | BudgetExceeded | Failed


@dataclass(frozen=True)
class AgentResult:
    task_id: str
    outcome: OutcomeKind
    reason: str
    turns: int
    usage: Usage
    cost_usd: float | None
    """None when the model's price is unknown."""
    duration_s: float
    transcript: Path | None = None
    final_text: str = ""
    """The agent's last message (what a delegated agent reports back)."""
    cache_saved_usd: float | None = None
    """What prompt caching saved against the same tokens billed as plain input; None when unpriced."""
    cause: FailureCause | None = None
    """Set when the outcome is `failed`."""

    @property
    def model_error(self) -> bool:
        """The provider's errors (throttling, outages) ended the run, not anything the agent did."""
        return self.outcome == "failed" and self.cause == "model_error"
