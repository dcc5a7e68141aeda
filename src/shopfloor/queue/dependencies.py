"""Dependency values as people and the seed's decomposition agent write them, and what they expand to.

Besides task IDs (`TASK-001, TASK-T02`), a value may name a range (`TASK-001 through TASK-005`) or a
group (`ALL build tasks`, `ALL tasks`, `TASK-001 through TASK-N`); groups are expanded against the whole
queue once every task has been read. Anything else is refused with a line saying how to write it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from shopfloor.queue.markdown import ID_PATTERN

HOW_TO_WRITE = (
    "write task IDs like TASK-001, a range like 'TASK-001 through TASK-005', 'ALL build tasks', "
    "'ALL tasks', or None"
)
_NONE_WORDS = {"", "none", "n/a", "na", "-", "—", "nothing", "no dependencies", "[]"}
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_DEP_ID = re.compile(rf"^({ID_PATTERN})(?![A-Za-z0-9_])")
_RANGE = re.compile(
    rf"^(?P<first>{ID_PATTERN})\s*(?:through|thru|to|\.\.|–|—|-)\s*(?P<last>{ID_PATTERN}|[A-Za-z][A-Za-z0-9_]*-[A-Z])\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")
_GROUP = re.compile(r"^all\b(?P<what>[^(]*)", re.IGNORECASE)

GroupKind = Literal["all", "build", "test"]


@dataclass(frozen=True)
class Range:
    """IDs sharing a prefix, numbered `first` to `last` (open-ended when `last` is None: `TASK-N`)."""

    prefix: str
    first: int
    last: int | None


@dataclass
class Dependencies:
    """What one dependency value names."""

    ids: list[str] = field(default_factory=list)
    groups: list[GroupKind] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def extend(self, other: Dependencies) -> None:
        self.ids += [i for i in other.ids if i not in self.ids]
        self.groups += [g for g in other.groups if g not in self.groups]
        self.ranges += [r for r in other.ranges if r not in self.ranges]
        self.unreadable += other.unreadable


class Member(Protocol):
    """What group expansion needs to know about each task of the queue."""

    @property
    def id(self) -> str: ...
    @property
    def category(self) -> str: ...


def parse_dependencies(text: str) -> Dependencies:
    """Read one dependency value (a section, a table cell, a `Dependencies:` line)."""
    found = Dependencies()
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if value.strip().strip(".").lower() in _NONE_WORDS:
        return found
    for piece in _pieces(value):
        item = piece.strip()
        bullet = _BULLET.match(item)
        item = (bullet.group("text") if bullet else item).strip().strip("`*").strip()
        if item.strip(".").lower() in _NONE_WORDS:
            continue
        group = _GROUP.match(item)
        span = _RANGE.match(item)
        if group:
            kind = _group_kind(group.group("what"))
            if kind is None:
                found.unreadable.append(item)
            elif kind not in found.groups:
                found.groups.append(kind)
        elif span:
            read = _range(span.group("first"), span.group("last"))
            if read is None:
                found.unreadable.append(item)
            else:
                found.ranges.append(read)
        elif ident := _DEP_ID.match(item):
            if ident.group(1) not in found.ids:
                found.ids.append(ident.group(1))
        else:
            found.unreadable.append(item)
    return found


def expand(deps: Dependencies, own_id: str, members: Sequence[Member]) -> list[str]:
    """The task IDs `deps` names: its IDs, then group and range members in queue order (not itself)."""
    out = list(deps.ids)
    for member in members:
        if member.id == own_id or member.id in out:
            continue
        if any(_in_group(g, member) for g in deps.groups) or any(_in_range(r, member) for r in deps.ranges):
            out.append(member.id)
    return out


def _pieces(value: str) -> list[str]:
    """Comma, semicolon, line and 'and' separated parts; a parenthesis keeps its commas."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in value:
        depth += (ch == "(") - (ch == ")")
        if depth <= 0 and ch in ",;\n":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p for part in parts for p in re.split(r"\s+and\s+(?![^(]*\))", part)]


def _group_kind(what: str) -> GroupKind | None:
    words = what.lower().split()
    if not words or words in (["tasks"], ["other", "tasks"], ["other", "task", "ids"], ["task", "ids"]):
        return "all"
    if "build" in words or "implementation" in words:
        return "build"
    if words[0] in ("test", "testing"):
        return "test"
    return None


def _range(first: str, last: str) -> Range | None:
    start = _NUMBERED.match(first)
    if start is None:
        return None
    end = _NUMBERED.match(last)
    if end is None:
        prefix = last.rsplit("-", 1)[0] + "-"
        return (
            Range(start.group("prefix"), int(start.group("number")), None)
            if prefix == start.group("prefix")
            else None
        )
    if end.group("prefix") != start.group("prefix"):
        return None
    return Range(start.group("prefix"), int(start.group("number")), int(end.group("number")))


def _in_group(kind: GroupKind, member: Member) -> bool:
    if kind == "all":
        return True
    is_test = member.category == "testing"
    return is_test if kind == "test" else not is_test


def _in_range(span: Range, member: Member) -> bool:
    found = _NUMBERED.match(member.id)
    if found is None or found.group("prefix") != span.prefix:
        return False
    number = int(found.group("number"))
    if span.last is None:  # `TASK-001 through TASK-N`: the build tasks numbered from there on
        return number >= span.first and member.category != "testing"
    return span.first <= number <= span.last
