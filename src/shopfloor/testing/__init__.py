"""Test support that ships with shopfloor: the fake provider server used by tests and benches."""

from shopfloor.testing.exchange import Fault, RecordedRequest, Responder, route_by_task
from shopfloor.testing.fake_provider import FakeProvider

__all__ = ["FakeProvider", "Fault", "RecordedRequest", "Responder", "route_by_task"]
