"""The words a queue file uses for a record's kind, state and urgency, including the seed's spellings.

The seed orchestrator's documents name test-writing and test-running tasks with categories of their own
(`testing:write`, `test_creation`, `testing:verify`, `test_verification`); they are testing tasks here,
with the test mode they imply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from shopfloor.config.sections import Category

Priority = Literal["critical", "high", "medium", "low"]
PRIORITIES: tuple[str, ...] = get_args(Priority)
TestMode = Literal["write", "verify"]
"""`write`: the task writes tests before the code exists; `verify`: it runs tests against built code."""
TEST_MODES: tuple[str, ...] = get_args(TestMode)

PRIORITY_ALIASES: dict[str, str] = {
    "p0": "critical",
    "p1": "high",
    "p2": "medium",
    "p3": "low",
    "urgent": "critical",
    "normal": "medium",
    "must_have": "high",
    "nice_to_have": "low",
}
CATEGORY_ALIASES: dict[str, tuple[Category, TestMode | None]] = {
    "testing:write": ("testing", "write"),
    "testing:verify": ("testing", "verify"),
    "testing:integration": ("testing", None),
    "test_creation": ("testing", "write"),
    "test_verification": ("testing", "verify"),
}
MODE_ALIASES: dict[str, str] = {"tdd": "write", "create": "write", "run": "verify", "check": "verify"}


def norm_choice(value: str) -> str:
    """`In Progress`, `in-progress` and `` `in_progress` `` all read as `in_progress`."""
    return "_".join(value.strip().strip("`*_").lower().replace("-", " ").split())


def read_choice(value: str, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> str | None:
    """The allowed word `value` means (through `aliases`), or None when it means none of them."""
    word = norm_choice(value)
    word = (aliases or {}).get(word, word)
    return word if word in allowed else None


def priority_rank(priority: str | None) -> int:
    """Sort key: critical first, then high; no priority counts as medium (the normal queue position)."""
    return PRIORITIES.index(priority) if priority in PRIORITIES else PRIORITIES.index("medium")
