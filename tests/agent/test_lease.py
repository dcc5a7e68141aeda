"""The lease: every event renews it; silence past its length cancels the work."""

from __future__ import annotations

import anyio
import pytest

from shopfloor.agent.lease import Lease
from shopfloor.agent.outcomes import AgentResult
from shopfloor.models.base import Usage

pytestmark = pytest.mark.anyio


def done() -> AgentResult:
    return AgentResult("T-1", "completed", "", 1, Usage(), 0.0, 0.0)


async def test_work_that_keeps_talking_outlives_the_lease_length() -> None:
    lease = Lease(0.3)

    async def chatty() -> AgentResult:
        for _ in range(8):  # 0.8 s in all, never 0.3 s without a word
            await anyio.sleep(0.1)
            lease.renew()
        return done()

    assert await lease.hold(chatty) == done()


async def test_silent_work_is_cancelled_and_reported_as_none() -> None:
    lease = Lease(0.2)
    reached_the_end = False

    async def silent() -> AgentResult:
        nonlocal reached_the_end
        await anyio.sleep(5)
        reached_the_end = True
        return done()

    with anyio.fail_after(3):
        assert await lease.hold(silent) is None
    assert not reached_the_end


async def test_renewing_outside_a_hold_does_nothing() -> None:
    lease = Lease(0.1)
    lease.renew()

    async def quick() -> AgentResult:
        return done()

    assert await lease.hold(quick) == done()
