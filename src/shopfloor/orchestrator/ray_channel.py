"""Between the coordinator and its Ray workers while attempts run: the workers' events go up (the run's
bus records them as if the attempt ran here), the run's budget stop comes down.

One actor per run. Each remote attempt has its own key; the coordinator long-polls its attempts' keys, so
events arrive within moments without a busy loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


class RunChannel:
    """The actor's state: events waiting per attempt key, and the run's stop reason (None: go on)."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Any]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._stop: str | None = None

    async def put(self, key: str, items: list[Any]) -> None:
        self._waiting.setdefault(key, []).extend(items)
        self._event(key).set()

    async def take(self, key: str, wait_s: float) -> list[Any]:
        """What waits for `key`, as soon as there is some or after `wait_s` seconds."""
        if not self._waiting.get(key) and wait_s > 0:
            wake = self._event(key)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait_s)
        return self._waiting.pop(key, [])

    async def forget(self, key: str) -> None:
        self._waiting.pop(key, None)
        self._wake.pop(key, None)

    async def set_stop(self, reason: str | None) -> None:
        self._stop = reason

    async def stop(self) -> str | None:
        return self._stop

    def _event(self, key: str) -> asyncio.Event:
        return self._wake.setdefault(key, asyncio.Event())


def start_channel() -> Any:
    import ray

    return ray.remote(num_cpus=0)(RunChannel).remote()
