"""Task statuses read and set in the queue's text directly: one pass over the text instead of parsing
every task, so following a run's progress costs the same with 256 tasks as with 4.

Only the plain shape is handled: each task's record (`### TASK-ID`) holds one Status field, a table row
or a bullet. Anything else (a task named twice, a record without one Status field) gives None, and the
caller reads the queue the full way.
"""

from __future__ import annotations

import re

from shopfloor.queue.markdown import ID_PATTERN

_RECORD = re.compile(rf"^#{{2,3}}[ \t]+({ID_PATTERN})(?![A-Za-z0-9_]).*$", re.MULTILINE)
_STATUS = re.compile(
    r"^(?:\|[ \t]*status[ \t]*\|[ \t]*(?P<cell>[^|\n]*?)[ \t]*\|[ \t]*"
    r"|[ \t]*[-*][ \t]+\*\*status\*\*:?[ \t]*(?P<bullet>[^\n]*?)[ \t]*)$",
    re.MULTILINE | re.IGNORECASE,
)


def _status_spans(text: str) -> dict[str, tuple[int, int, bool]] | None:
    """Where each task's status value is in `text` (and whether in a table cell), by task ID; None when
    the text is not plain."""
    records = list(_RECORD.finditer(text))
    spans: dict[str, tuple[int, int, bool]] = {}
    for i, record in enumerate(records):
        end = records[i + 1].start() if i + 1 < len(records) else len(text)
        rows = list(_STATUS.finditer(text, record.end(), end))
        task_id = record.group(1)
        if len(rows) != 1 or task_id in spans:
            return None
        cell = rows[0].group("cell") is not None
        spans[task_id] = (*rows[0].span("cell" if cell else "bullet"), cell)
    return spans


def read_statuses(text: str) -> dict[str, str] | None:
    """Each task's status as written (lower case, `In progress` as `in_progress`), or None."""
    spans = _status_spans(text)
    if spans is None:
        return None
    return {tid: re.sub(r"[\s-]+", "_", text[a:b].strip().lower()) for tid, (a, b, _) in spans.items()}


def write_statuses(text: str, statuses: dict[str, str]) -> str | None:
    """`text` with the given tasks' statuses set (tasks not in it are left out), or None."""
    spans = _status_spans(text)
    if spans is None:
        return None
    changes = []
    for task_id, value in statuses.items():
        if task_id in spans:
            start, end, cell = spans[task_id]
            changes.append(
                (start, end, value.ljust(end - start) if cell else value)
            )  # a cell keeps its width
    return _replace(text, changes)


def without_statuses(text: str) -> str | None:
    """`text` with every status value left out: what the queue says besides the statuses, or None."""
    spans = _status_spans(text)
    return None if spans is None else _replace(text, [(a, b, "") for a, b, _ in spans.values()])


def _replace(text: str, changes: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, value in sorted(changes):
        out += [text[pos:start], value]
        pos = end
    return "".join([*out, text[pos:]])
