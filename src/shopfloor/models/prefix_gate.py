"""One writer for each new prompt prefix: the first request of a prefix goes ahead, and requests with the
same prefix that would arrive while it is being cached wait until its answer begins. A provider makes a
cache entry readable only then, so parallel tasks of one agent would otherwise each pay to write it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import anyio

from shopfloor.models.base import ModelRequest


def prefix_key(model_id: str, request: ModelRequest) -> str | None:
    """What identifies the shared prefix of `request` (tools and shared system part); None without one."""
    if not request.system.shared:
        return None
    digest = hashlib.sha256(model_id.encode())
    digest.update(json.dumps([t.model_dump() for t in request.tools], sort_keys=True).encode())
    digest.update(request.system.shared.encode())
    return digest.hexdigest()


class PrefixGate:
    """Per provider endpoint and run: which prefixes have had a first request sent."""

    def __init__(self) -> None:
        self._begun: dict[str, anyio.Event] = {}

    async def turn(self, key: str | None) -> Callable[[], None]:
        """Wait while another request writes `key`; returns what to call when this answer has begun
        (or failed). The first caller of a key never waits; later ones pass at once after it has begun."""
        if key is None:
            return _nothing
        begun = self._begun.get(key)
        if begun is None:
            begun = self._begun[key] = anyio.Event()
            return begun.set
        await begun.wait()
        return _nothing


def _nothing() -> None:
    return None
