"""Markdown table lines (`| a | b |`): their cells, and a value cell rewritten in place."""

from __future__ import annotations

import itertools
import re

SEPARATOR_CELL = re.compile(r"^\s*:?-+:?\s*$")


def split_ending(line: str) -> tuple[str, str]:
    """A line without its line ending, and the ending."""
    bare = line.rstrip("\r\n")
    return bare, line[len(bare) :]


def split_cells(bare: str) -> list[str] | None:
    """Cells of a `| a | b |` line (unescaped, unstripped), or None if it is not a table line."""
    pipes = _pipe_positions(bare)
    if not pipes or bare[: pipes[0]].strip():
        return None
    cells = [bare[a + 1 : b] for a, b in itertools.pairwise(pipes)]
    tail = bare[pipes[-1] + 1 :]
    if tail.strip():
        cells.append(tail)
    return [c.replace("\\|", "|") for c in cells]


def is_separator(bare: str) -> bool:
    """`|---|:--:|`: the line under a table's header."""
    cells = split_cells(bare)
    return bool(cells) and all(SEPARATOR_CELL.match(c) for c in cells or [])


def escape_cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def replace_value_cell(line: str, value: str) -> str:
    """Put `value` in the second cell, keeping the cell's padding when it still fits."""
    bare, ending = split_ending(line)
    pipes = _pipe_positions(bare)
    start = pipes[1] + 1
    end = pipes[2] if len(pipes) > 2 else len(bare)
    old = bare[start:end]
    lead = (len(old) - len(old.lstrip())) or 1
    cell = " " * lead + escape_cell(value)
    aligned = len(old) - len(old.rstrip()) > 1
    cell = cell.ljust(len(old)) if aligned and len(cell) < len(old) else cell + " "
    if len(pipes) <= 2:
        cell = cell.rstrip()
    return bare[:start] + cell + bare[end:] + ending


def _pipe_positions(bare: str) -> list[int]:
    return [i for i, ch in enumerate(bare) if ch == "|" and (i == 0 or bare[i - 1] != "\\")]
