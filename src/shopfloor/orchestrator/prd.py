"""PRD.md: the template `shopfloor init` writes, and whether a PRD is worth sending to a model at all."""

from __future__ import annotations

from pathlib import Path

PRD_FILE = "PRD.md"

PRD_TEMPLATE = """# Product requirements: <name>

## Goal
What should exist when this is done, and for whom.

## Users
Who uses it and what they need to do.

## Requirements
1. <A feature, described by what a user can do.>
   - Acceptance: <how we know it works, e.g. `pytest tests/test_feature.py` passes>
2. ...

## Security and quality
Authentication, authorization, validation, rate limits, logging rules.

## Non-goals
What is deliberately out of scope.
"""

# Lines of the template a person is meant to replace; one left in means the PRD is not written yet.
_PLACEHOLDERS = tuple(
    line.strip() for line in PRD_TEMPLATE.splitlines() if line.strip().startswith(("1. <", "- Acceptance: <"))
)


def prd_problem(project: Path) -> str | None:
    """Why PRD.md cannot be decomposed as it stands (one line naming the next step), or None."""
    path = project / PRD_FILE
    if not path.is_file():
        return (
            f"{PRD_FILE} not found in {project}. Write one (what to build, for whom, requirements and "
            "acceptance criteria), or run `shopfloor init` to scaffold PRD.md and .shopfloor/ config."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return f"{path} is not UTF-8 text (byte {err.start}); save it as UTF-8, then `shopfloor run`"
    if not text.strip():
        return (
            f"{path} is empty; describe what to build in it (`shopfloor init` writes a template), "
            "then `shopfloor run`"
        )
    if text.strip() == PRD_TEMPLATE.strip():
        return (
            f"{path} is still the template `shopfloor init` wrote; describe what to build in it, "
            "then `shopfloor run`"
        )
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() in _PLACEHOLDERS:
            return (
                f"{path}:{n}: the template's placeholder {line.strip()!r} is still there; replace it with "
                "what to build, then `shopfloor run`"
            )
    return None
