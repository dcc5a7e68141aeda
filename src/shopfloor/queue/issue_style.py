"""How an issue queue writes its issues, so a new one is written the way the file already does it.

shopfloor's own layout is `### ISSUE-001: Title`, a field table and a `**Description:**`. The seed's
files date their IDs (`ISSUE-20260110-001`), keep the title in a Summary and the text in Details, and
some use `## ISSUE-...` records with `### Summary` sub-headings. Fields are always written as table rows:
that is where the seed's scripts look for `Status | pending` and `Priority | critical`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shopfloor.queue.markdown import Block, SectionStyle
from shopfloor.queue.md_lines import body_lines, section_lines
from shopfloor.queue.record_file import find_all

DATED_ID = re.compile(r"^ISSUE-(?P<day>\d{8})-(?P<n>\d+)$")
PLAIN_ID = re.compile(r"^ISSUE-(?P<n>\d+)$")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")


@dataclass(frozen=True)
class IssueStyle:
    level: int = 3
    """2 for `## ISSUE-...` records, 3 for `### ISSUE-...`."""
    dated: bool = False
    """IDs are `ISSUE-YYYYMMDD-NNN` rather than `ISSUE-NNN`."""
    summary: bool = False
    """The title goes in a Summary section instead of the heading."""
    details: str = "Description"
    """What the issue's text is called (the seed says Details)."""
    sections: SectionStyle = "bold"
    blank_after_heading: bool = False
    source_row: bool = False
    """The file's issues say where they came from (`| Source | user |`)."""
    created_row: bool = False
    """The file's issues carry a `| Created | ... |` timestamp."""
    rule_after: bool = False
    """Each issue ends with a `---` line."""
    rule_before: bool = False
    """Issues are separated by a `---` line written before each one."""


def detect_style(blocks: list[Block]) -> IssueStyle:
    """The style of the file's last issue (shopfloor's own when there is none)."""
    ids = [b.id for b in blocks]
    dated = any(DATED_ID.match(i) for i in ids)
    if not blocks:
        return IssueStyle()
    last = blocks[-1]
    lines = last.text().splitlines()
    ends_with_rule = [_ends_with_rule(b) for b in blocks]
    return IssueStyle(
        level=last.level,
        dated=dated,
        summary=last.title is None and bool(find_all(last, ("summary",))),
        details="Details" if find_all(last, ("details",)) else "Description",
        sections=last.section_style,
        blank_after_heading=len(lines) > 1 and not lines[1].strip(),
        source_row="source" in last.rows,
        created_row="created" in last.rows,
        rule_after=ends_with_rule[-1],
        rule_before=any(ends_with_rule) and not ends_with_rule[-1],
    )


def _ends_with_rule(block: Block) -> bool:
    tail = [line for line in block.text().splitlines() if line.strip()]
    return bool(tail) and bool(_RULE.match(tail[-1]))


def next_issue_id(ids: list[str], style: IssueStyle, today: date | None = None) -> str:
    """The next free ID in the file's scheme: the day's next number, or the highest number plus one."""
    if style.dated:
        day = (today or date.today()).strftime("%Y%m%d")
        taken = [int(m.group("n")) for i in ids if (m := DATED_ID.match(i)) and m.group("day") == day]
        return f"ISSUE-{day}-{max(taken, default=0) + 1:03d}"
    numbers = [int(m.group("n")) for i in ids if (m := PLAIN_ID.match(i))]
    return f"ISSUE-{max(numbers, default=0) + 1:03d}"


def render_new_issue(
    issue_id: str,
    title: str,
    rows: list[tuple[str, str]],
    sections: list[tuple[str, str]],
    style: IssueStyle,
    newline: str = "\n",
) -> str:
    """A new issue's block: heading, field table, then its sections (Summary first in the seed's style)."""
    heading = f"{'#' * style.level} {issue_id}" + (f": {title}" if title and not style.summary else "")
    lines = [heading, *([""] if style.blank_after_heading else [])]
    lines += ["| Field | Value |", "|-------|-------|", *(f"| {k} | {v} |" for k, v in rows)]
    if style.summary and title:
        sections = [("Summary", title), *sections]
    for name, text in sections:
        if not text:
            continue
        if style.sections == "heading":
            lines += ["", f"{'#' * (style.level + 1)} {name}", *body_lines(text)]
        else:
            lines += ["", *(line.rstrip("\n") for line in section_lines(name, text))]
    if style.rule_after:
        lines += ["", "---"]
    return newline.join(lines) + newline
