"""What shopfloor assumes when a task leaves out its category or complexity.

Some of the seed's layouts have no Category or Complexity row (its MVP format, its two-section format),
so a missing one is assumed from the task's ID and words rather than refused; the assumption is kept
on the task and shown by `shopfloor run --dry-run` so a person can write the row if it is wrong.
"""

from __future__ import annotations

import re

from shopfloor.config.sections import Category, Complexity

_TEST_ID = re.compile(r"-[TV]\d+$")
_WORDS: tuple[tuple[Category, re.Pattern[str]], ...] = (
    ("testing", re.compile(r"\b(tests?|testing|test suite|qa)\b", re.IGNORECASE)),
    ("devops", re.compile(r"\b(docker|compose|ci|cd|pipeline|deploy(ment)?|kubernetes|helm)\b", re.I)),
    ("docs", re.compile(r"\b(readme|documentation|docs|changelog|guide)\b", re.IGNORECASE)),
    (
        "frontend",
        re.compile(r"\b(ui|page|component|css|frontend|react|vue|button|form|layout|dashboard)\b", re.I),
    ),
)


def infer_category(task_id: str, text: str) -> tuple[Category, str]:
    """A category for a task that names none, and why."""
    if _TEST_ID.search(task_id):
        return "testing", f"its ID {task_id} is a test task's"
    head = text.strip().split("\n", 1)[0][:200]
    for category, words in _WORDS:
        found = words.search(head)
        if found:
            return category, f"its objective mentions '{found.group(0)}'"
    return "backend", "nothing in its objective points elsewhere"


def infer_complexity(category: Category) -> tuple[Complexity, str]:
    """A complexity for a task that names none, and why."""
    if category == "docs":
        return "easy", "documentation tasks are usually small"
    return "normal", "the default"
