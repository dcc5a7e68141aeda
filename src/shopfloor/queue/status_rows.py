"""Task statuses read and set in the queue's text directly: one pass over the text instead of parsing
every task, so following a run's progress costs the same with 256 tasks as with 4.

Only the plain shape is handled: each task's record (`### TASK-ID`) holds one Status field, a table row
or a bullet. Anything else (a task named twice, a record without one Status field) gives None, and the
caller reads the queue the full way.
"""

from __future__ import annotations

import re

from shopfloor.queue.markdown import ID_PATTERN
from shopfloor.queue.tables import replace_value_cell

_RECORD = re.compile(rf"^#{{2,3}}[ \t]+({ID_PATTERN})(?![A-Za-z0-9_]).*$", re.MULTILINE)
_STATUS = re.compile(
    r"^(?:\|[ \t]*status[ \t]*\|[ \t]*(?P<cell>[^|\n]*?)[ \t]*\|[ \t]*"
    r"|[ \t]*[-*][ \t]+\*\*status\*\*:?[ \t]*(?P<bullet>[^\n]*?)[ \t]*)$",
    re.MULTILINE | re.IGNORECASE,
)


_Span = tuple[int, int, int, int, bool]
"""A status field's line (start, end), its value (start, end), and whether it is a table row."""


def _status_spans(text: str) -> dict[str, _Span] | None:
    """Where each task's status field is in `text`, by task ID; None when the text is not plain."""
    records = list(_RECORD.finditer(text))
    spans: dict[str, _Span] = {}
    for i, record in enumerate(records):
        end = records[i + 1].start() if i + 1 < len(records) else len(text)
        rows = list(_STATUS.finditer(text, record.end(), end))
        task_id = record.group(1)
        if len(rows) != 1 or task_id in spans:
            return None
        cell = rows[0].group("cell") is not None
        spans[task_id] = (*rows[0].span(), *rows[0].span("cell" if cell else "bullet"), cell)
    return spans


def read_statuses(text: str) -> dict[str, str] | None:
    """Each task's status as written (lower case, `In progress` as `in_progress`), or None."""
    spans = _status_spans(text)
    if spans is None:
        return None
    return {tid: re.sub(r"[\s-]+", "_", text[a:b].strip().lower()) for tid, (_, _, a, b, _) in spans.items()}


def write_statuses(text: str, statuses: dict[str, str]) -> str | None:
    """`text` with the given tasks' statuses set (tasks not in it are left out), or None."""
    spans = _status_spans(text)
    if spans is None:
        return None
    changes = []
    for task_id, value in statuses.items():
        if task_id in spans:
            line_start, line_end, start, end, cell = spans[task_id]
            if cell:  # the row rewritten as the full writer does it (keeping the cell's padding)
                changes.append((line_start, line_end, replace_value_cell(text[line_start:line_end], value)))
            else:
                changes.append((start, end, value))
    return _replace(text, changes)


def without_statuses(text: str) -> str | None:
    """`text` with every status value left out: what the queue says besides the statuses, or None."""
    spans = _status_spans(text)
    return None if spans is None else _replace(text, [(a, b, "") for _, _, a, b, _ in spans.values()])


def _replace(text: str, changes: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, value in sorted(changes):
        out += [text[pos:start], value]
        pos = end
    return "".join([*out, text[pos:]])
