"""How long an in-process agent may stay silent before its attempt is given up (and retried)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from shopfloor.agent.outcomes import AgentResult


@dataclass
class Lease:
    """An attempt's right to go on: every agent event renews it; silence past `seconds` ends the attempt."""

    seconds: float
    _scope: anyio.CancelScope | None = None

    def renew(self) -> None:
        if self._scope is not None:
            self._scope.deadline = anyio.current_time() + self.seconds

    async def hold(self, work: Callable[[], Awaitable[AgentResult]]) -> AgentResult | None:
        """`work()`'s result, or None when the lease ran out first (the work is then cancelled)."""
        with anyio.CancelScope(deadline=anyio.current_time() + self.seconds) as scope:
            self._scope = scope
            try:
                return await work()
            finally:
                self._scope = None
        return None
