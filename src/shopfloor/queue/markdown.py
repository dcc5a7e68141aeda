"""Markdown record blocks (`### ID`, a Field/Value table, `**Section:**` blocks) that render back unchanged.

A document is kept as the lines it was read from. Only a field that is changed through a setter is
rewritten, so text a person wrote (notes, unknown rows and sections, spacing) survives every save.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

ID_PATTERN = r"[A-Za-z][A-Za-z0-9_]*-[A-Za-z]?\d+"
_RECORD_HEADING = re.compile(rf"^###[ \t]+(?P<id>{ID_PATTERN})(?![A-Za-z0-9_])(?P<rest>.*)$")
_ANY_HEADING = re.compile(r"^#{1,3}(?:[ \t]|$)")
_SECTION = re.compile(r"^\*\*(?P<name>[A-Za-z][^*\n]*?)(?::\*\*|\*\*[ \t]*:)(?P<rest>.*)$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SEPARATOR_CELL = re.compile(r"^\s*:?-+:?\s*$")

PieceKind = Literal["raw", "heading", "table", "row", "section"]


def norm_key(key: str) -> str:
    """Compare field and section names ignoring case, underscores and spacing."""
    return " ".join(key.replace("_", " ").lower().split())


def _split_ending(line: str) -> tuple[str, str]:
    bare = line.rstrip("\r\n")
    return bare, line[len(bare) :]


@dataclass
class Piece:
    """A run of consecutive lines, kept verbatim unless its field is set."""

    lines: list[str]
    kind: PieceKind = "raw"
    key: str = ""


@dataclass(frozen=True)
class Row:
    key: str
    """The field name as written."""
    value: str
    line: int


@dataclass(frozen=True)
class Section:
    name: str
    """The section name as written, without the asterisks and colon."""
    text: str
    """Text after the colon and the lines below it, stripped."""
    line: int


@dataclass
class Block:
    """One `### ID` record: its lines plus what was read from them."""

    id: str
    title: str | None
    line: int
    pieces: list[Piece]
    newline: str = "\n"
    rows: dict[str, Row] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def text(self) -> str:
        return "".join(line for piece in self.pieces for line in piece.lines)

    def copy(self) -> Block:
        """A copy whose pieces can be edited without touching this block."""
        pieces = [Piece(list(p.lines), p.kind, p.key) for p in self.pieces]
        return Block(
            self.id, self.title, self.line, pieces, self.newline, dict(self.rows), dict(self.sections)
        )

    def set_heading(self, record_id: str, title: str | None) -> None:
        _, ending = _split_ending(self.pieces[0].lines[0])
        suffix = f": {title}" if title else ""
        self.pieces[0].lines[0] = f"### {record_id}{suffix}{ending or self.newline}"

    def set_row(self, key: str, value: str | None) -> None:
        """Change a table cell in place, add the row after the table's last row, or drop it (None)."""
        index = self._find("row", norm_key(key))
        if index is not None:
            if value is None:
                del self.pieces[index]
            else:
                self.pieces[index].lines[0] = _replace_value_cell(self.pieces[index].lines[0], value)
            return
        if value is None:
            return
        new = [f"| {key} | {_escape_cell(value)} |{self.newline}"]
        table_at = [i for i, p in enumerate(self.pieces) if p.kind in ("row", "table")]
        if not table_at:
            header = [f"| Field | Value |{self.newline}", f"|-------|-------|{self.newline}"]
            self._ensure_newline(0)
            self.pieces[1:1] = [Piece(header, "table"), Piece(new, "row", norm_key(key))]
            return
        self._ensure_newline(table_at[-1])
        self.pieces.insert(table_at[-1] + 1, Piece(new, "row", norm_key(key)))

    def set_section(self, name: str, text: str | None) -> None:
        """Rewrite a section's lines, append it at the end of the block, or drop it (None)."""
        index = self._find("section", norm_key(name))
        if index is not None:
            if text is None:
                del self.pieces[index]
                if (
                    index > 0
                    and self.pieces[index - 1].kind == "raw"
                    and not "".join(self.pieces[index - 1].lines).strip(" \t\r\n")
                ):
                    del self.pieces[index - 1]
                return
            old_last = self.pieces[index].lines[-1]
            new = _section_lines(name, text, self.newline)
            if not _split_ending(old_last)[1]:
                new[-1] = _split_ending(new[-1])[0]
            self.pieces[index].lines = new
            return
        if text is None:
            return
        end = len(self.pieces)
        while (
            end > 1 and self.pieces[end - 1].kind == "raw" and not "".join(self.pieces[end - 1].lines).strip()
        ):
            end -= 1
        self._ensure_newline(end - 1)
        added = [
            Piece([self.newline]),
            Piece(_section_lines(name, text, self.newline), "section", norm_key(name)),
        ]
        if end == len(self.pieces):
            added.append(Piece([self.newline]))
        self.pieces[end:end] = added

    def _find(self, kind: PieceKind, key: str) -> int | None:
        for i, piece in enumerate(self.pieces):
            if piece.kind == kind and piece.key == key:
                return i
        return None

    def _ensure_newline(self, index: int) -> None:
        lines = self.pieces[index].lines
        if lines and not _split_ending(lines[-1])[1]:
            lines[-1] += self.newline


@dataclass
class Document:
    """Raw text and record blocks, in file order."""

    parts: list[str | Block]
    newline: str = "\n"
    stray_headings: list[tuple[int, str]] = field(default_factory=list)
    """Level-3 headings outside code fences that are not `### ID` records: (line, text)."""

    @property
    def blocks(self) -> list[Block]:
        return [p for p in self.parts if isinstance(p, Block)]

    def render(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)


def parse_document(text: str) -> Document:
    """Split Markdown into raw text and `### ID` blocks; never fails."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    doc = Document(parts=[], newline=newline)
    raw: list[str] = []
    i = 0
    while i < len(lines):
        bare, _ = _split_ending(lines[i])
        heading = _RECORD_HEADING.match(bare)
        if heading:
            if raw:
                doc.parts.append("".join(raw))
                raw = []
            end = _block_end(lines, i)
            doc.parts.append(_parse_block(lines[i:end], i + 1, heading, newline))
            i = end
            continue
        if _FENCE.match(bare):
            end = _fence_end(lines, i)
            raw.extend(lines[i:end])
            i = end
            continue
        if bare.startswith("###") and not bare.startswith("####"):
            doc.stray_headings.append((i + 1, bare))
        raw.append(lines[i])
        i += 1
    if raw:
        doc.parts.append("".join(raw))
    return doc


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


def _pipe_positions(bare: str) -> list[int]:
    return [i for i, ch in enumerate(bare) if ch == "|" and (i == 0 or bare[i - 1] != "\\")]


def _escape_cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def _replace_value_cell(line: str, value: str) -> str:
    """Put `value` in the second cell, keeping the cell's padding when it still fits."""
    bare, ending = _split_ending(line)
    pipes = _pipe_positions(bare)
    start = pipes[1] + 1
    end = pipes[2] if len(pipes) > 2 else len(bare)
    old = bare[start:end]
    lead = (len(old) - len(old.lstrip())) or 1
    cell = " " * lead + _escape_cell(value)
    aligned = len(old) - len(old.rstrip()) > 1
    cell = cell.ljust(len(old)) if aligned and len(cell) < len(old) else cell + " "
    if len(pipes) <= 2:
        cell = cell.rstrip()
    return bare[:start] + cell + bare[end:] + ending


def _section_lines(name: str, text: str, newline: str) -> list[str]:
    body = text.strip("\n").split("\n")
    if len(body) == 1 and not re.match(r"^([-*+]|\d+[.)])\s", body[0]):
        return [f"**{name}:** {body[0]}".rstrip() + newline]
    return [f"**{name}:**{newline}"] + [f"{line}{newline}" for line in body]


def _fence_end(lines: list[str], start: int) -> int:
    """Index just past the fence that opens at `start` (or the end of input if it never closes)."""
    marker = _FENCE.match(lines[start])
    assert marker is not None
    for j in range(start + 1, len(lines)):
        if lines[j].lstrip().startswith(marker.group(1)):
            return j + 1
    return len(lines)


def _block_end(lines: list[str], start: int) -> int:
    j = start + 1
    while j < len(lines):
        bare, _ = _split_ending(lines[j])
        if _FENCE.match(bare):
            j = _fence_end(lines, j)
            continue
        if _ANY_HEADING.match(bare):
            break
        j += 1
    return j


def _section_end(lines: list[str], start: int) -> int:
    """Index just past the section's last non-blank line (trailing blank lines are not part of it)."""
    last = start
    j = start + 1
    while j < len(lines):
        bare, _ = _split_ending(lines[j])
        if _FENCE.match(bare):
            j = _fence_end(lines, j)
            last = j - 1
            continue
        if _SECTION.match(bare) or _RULE.match(bare) or _ANY_HEADING.match(bare):
            break
        if bare.strip():
            last = j
        j += 1
    return last + 1


def _parse_block(lines: list[str], line_no: int, heading: re.Match[str], newline: str) -> Block:
    rest = heading.group("rest").strip().lstrip(":-–—").strip()
    block = Block(heading.group("id"), rest or None, line_no, [Piece([lines[0]], "heading")], newline)
    seen_section = False
    i = 1
    while i < len(lines):
        bare, _ = _split_ending(lines[i])
        if _FENCE.match(bare):
            end = _fence_end(lines, i)
            block.pieces.append(Piece(lines[i:end]))
            i = end
            continue
        section = _SECTION.match(bare)
        if section:
            end = _section_end(lines, i)
            body = [_split_ending(x)[0] for x in lines[i + 1 : end]]
            text = "\n".join([section.group("rest").strip(), *body]).strip()
            name = section.group("name").strip()
            key = norm_key(name)
            if key in block.sections:
                first = block.sections[key].line
                block.problems.append(
                    (line_no + i, f"section '{name}' appears twice (first on line {first})")
                )
                block.pieces.append(Piece(lines[i:end]))
            else:
                block.sections[key] = Section(name, text, line_no + i)
                block.pieces.append(Piece(lines[i:end], "section", key))
            seen_section = True
            i = end
            continue
        if not seen_section and bare.lstrip().startswith("|"):
            next_bare = _split_ending(lines[i + 1])[0] if i + 1 < len(lines) else ""
            block.pieces.append(_table_piece(block, bare, lines[i], line_no + i, next_bare))
            i += 1
            continue
        block.pieces.append(Piece([lines[i]]))
        i += 1
    return block


def _table_piece(block: Block, bare: str, line: str, line_no: int, next_bare: str) -> Piece:
    cells = split_cells(bare)
    if cells is not None and all(_SEPARATOR_CELL.match(c) for c in cells):
        return Piece([line], "table")
    next_cells = split_cells(next_bare)
    if next_cells is not None and next_cells and all(_SEPARATOR_CELL.match(c) for c in next_cells):
        return Piece([line], "table")
    if cells is None or len(cells) != 2 or not cells[0].strip():
        block.problems.append((line_no, "malformed table row (expected '| Field | Value |')"))
        return Piece([line], "table")
    name, value = cells[0].strip(), cells[1].strip()
    key = norm_key(name)
    if key in block.rows:
        first = block.rows[key].line
        block.problems.append((line_no, f"field '{name}' appears twice (first on line {first})"))
        return Piece([line], "table")
    block.rows[key] = Row(name, value, line_no)
    return Piece([line], "row", key)
