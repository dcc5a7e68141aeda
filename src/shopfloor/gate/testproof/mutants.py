"""Mutants: small deliberate faults put into the lines a task changed, and how they are chosen and shown."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

MutantKind = Literal["return", "condition", "operator", "statement"]

_KIND_ORDER: tuple[MutantKind, ...] = ("return", "condition", "operator", "statement")


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] (character offsets) with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mutant:
    """One fault in one function: where, what kind, how it reads, and the edit that makes it."""

    file: str
    function: str
    line: int
    last_line: int
    """The mutated construct's last line: a test run that executes none of line..last_line cannot kill it."""
    kind: MutantKind
    description: str
    """`return a * b` -> `return None`, in words a person reads in a finding."""
    edit: Edit
    rank: int = 0
    """Lower first among mutants of one kind: a ternary's condition (often a default) goes after an `if`'s."""

    def apply(self, source: str) -> str:
        return source[: self.edit.start] + self.edit.text + source[self.edit.end :]

    def diff(self, source: str) -> str:
        """The mutant as a unified diff of its file, two lines of context."""
        lines = difflib.unified_diff(
            source.splitlines(keepends=True),
            self.apply(source).splitlines(keepends=True),
            fromfile=f"a/{self.file}",
            tofile=f"b/{self.file}",
            n=2,
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class ChangedFunction:
    """A function (or method) the task added or changed, and the mutants made on its changed lines."""

    file: str
    name: str
    """`multiply`, `Calc.multiply`, `<arrow at line 12>`."""
    line: int
    mutants: tuple[Mutant, ...]


def pick(candidates: Iterable[Mutant], limit: int) -> tuple[Mutant, ...]:
    """Up to `limit` mutants, taking the kinds in turn so a function gets one of each before two of any."""
    by_kind: dict[MutantKind, list[Mutant]] = {k: [] for k in _KIND_ORDER}
    seen: set[tuple[int, int, str]] = set()
    for m in candidates:
        key = (m.edit.start, m.edit.end, m.edit.text)
        if key not in seen:
            seen.add(key)
            by_kind[m.kind].append(m)
    for group in by_kind.values():
        group.sort(key=lambda m: m.rank)
    out: list[Mutant] = []
    while len(out) < limit and any(by_kind.values()):
        for kind in _KIND_ORDER:
            if by_kind[kind] and len(out) < limit:
                out.append(by_kind[kind].pop(0))
    return tuple(out)


def interleave(functions: list[ChangedFunction]) -> list[Mutant]:
    """Each function's first mutant, then each one's second, ...: a budget cut still leaves each tried."""
    out: list[Mutant] = []
    depth = max((len(f.mutants) for f in functions), default=0)
    for i in range(depth):
        out.extend(f.mutants[i] for f in functions if i < len(f.mutants))
    return out


def one_line(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
