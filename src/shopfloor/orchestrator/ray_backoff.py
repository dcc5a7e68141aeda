"""One provider pause for every Ray worker of a run: an actor keeps it, each worker's model clients
consult it before every call (`models.retry.PauseBoard`), so a 529 seen on one node slows them all."""

from __future__ import annotations

import time
from typing import Any


class ProviderPauses:
    """The actor's state: until when each provider key is paused, on the actor's own clock (workers'
    clocks may disagree; only the distance to the actor matters)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def post(self, key: str, pause_s: float) -> None:
        self._until[key] = max(self._until.get(key, 0.0), time.monotonic() + pause_s)

    def remaining(self, key: str) -> float:
        return max(0.0, self._until.get(key, 0.0) - time.monotonic())


class RayPauseBoard:
    """A worker's view of the shared pauses: posting is fire and forget, asking is one actor call."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def post(self, key: str, pause_s: float) -> None:
        self.actor.post.remote(key, pause_s)

    async def remaining(self, key: str) -> float:
        left: float = await self.actor.remaining.remote(key)
        return left


def start_pauses() -> Any:
    """The run's pause actor (it lives as long as the coordinator's connection to Ray)."""
    import ray

    return ray.remote(num_cpus=0)(ProviderPauses).remote()
