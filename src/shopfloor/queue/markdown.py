"""Markdown records (`### ID` or `## ID` with fields and sections) that render back unchanged.

A record's fields are `| Field | Value |` table rows or `- **Field**: value` bullets; its sections are
`**Section:**` blocks or sub-headings (`### Section` under a `## ID` record). A document is kept as the
lines it was read from, and only a field or section changed through a setter is rewritten, in the style
the record already uses, so text a person wrote (notes, unknown rows and sections, spacing) survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from shopfloor.queue.md_lines import (
    BULLET_FIELD,
    FENCE,
    HEADING,
    RULE,
    SECTION,
    body_lines,
    fence_end,
    heading_level,
    replace_bullet_value,
    section_lines,
)
from shopfloor.queue.tables import (
    escape_cell,
    is_separator,
    replace_value_cell,
    split_cells,
    split_ending,
)

ID_PATTERN = r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z]?\d+[A-Za-z]?)+"
"""`TASK-007`, `TASK-T01`, `TASK-001-1`, `TASK-005a`, `ISSUE-20260110-001`."""
_RECORD_HEADING = re.compile(rf"^(?P<hashes>#{{2,3}})[ \t]+(?P<id>{ID_PATTERN})(?![A-Za-z0-9_])(?P<rest>.*)$")

PieceKind = Literal["raw", "heading", "table", "row", "section"]
SectionStyle = Literal["bold", "heading"]


def norm_key(key: str) -> str:
    """Compare field and section names ignoring case, underscores and spacing."""
    return " ".join(key.replace("_", " ").lower().split())


@dataclass
class Piece:
    """A run of consecutive lines, kept verbatim unless its field is set."""

    lines: list[str]
    kind: PieceKind = "raw"
    key: str = ""
    line: int = 0
    """Line number of its first line in the file (0 for lines added by an edit)."""


@dataclass(frozen=True)
class Row:
    key: str
    """The field name as written."""
    value: str
    line: int


@dataclass(frozen=True)
class Section:
    name: str
    """The section name as written, without the asterisks and colon (or the heading's hashes)."""
    text: str
    """Text after the colon and the lines below it (or the lines under the heading), stripped."""
    line: int
    style: SectionStyle = "bold"


@dataclass
class Block:
    """One record: its lines plus what was read from them."""

    id: str
    title: str | None
    line: int
    pieces: list[Piece]
    newline: str = "\n"
    rows: dict[str, Row] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    level: int = 3
    """2 for a `## ID` record, 3 for `### ID`."""

    def text(self) -> str:
        return "".join(line for piece in self.pieces for line in piece.lines)

    def copy(self) -> Block:
        """A copy whose pieces can be edited without touching this block."""
        pieces = [Piece(list(p.lines), p.kind, p.key, p.line) for p in self.pieces]
        return Block(
            self.id,
            self.title,
            self.line,
            pieces,
            self.newline,
            dict(self.rows),
            dict(self.sections),
            level=self.level,
        )

    @property
    def section_style(self) -> SectionStyle:
        """How this record writes its sections (what its last section uses; bold when it has none)."""
        styles = [s.style for s in self.sections.values()]
        return styles[-1] if styles else "bold"

    def set_heading(self, record_id: str, title: str | None) -> None:
        _, ending = split_ending(self.pieces[0].lines[0])
        suffix = f": {title}" if title else ""
        self.pieces[0].lines[0] = f"{'#' * self.level} {record_id}{suffix}{ending or self.newline}"

    def set_row(self, key: str, value: str | None) -> None:
        """Change a field in place, add it after the record's last field, or drop it (None)."""
        index = self._find("row", norm_key(key))
        if index is not None:
            if value is None:
                del self.pieces[index]
            else:
                line = self.pieces[index].lines[0]
                bullet = BULLET_FIELD.match(split_ending(line)[0])
                self.pieces[index].lines[0] = (
                    replace_bullet_value(line, bullet, value) if bullet else replace_value_cell(line, value)
                )
            return
        if value is None:
            return
        rows_at = [i for i, p in enumerate(self.pieces) if p.kind in ("row", "table")]
        tables = [i for i in rows_at if self.pieces[i].lines[0].lstrip().startswith("|")]
        if tables:
            new = [f"| {key} | {escape_cell(value)} |{self.newline}"]
            at = tables[-1]
        elif rows_at:
            sample = BULLET_FIELD.match(split_ending(self.pieces[rows_at[-1]].lines[0])[0])
            sep = sample.group("sep") if sample else "**:"
            new = [f"- **{key}{sep} {' '.join(value.split())}{self.newline}"]
            at = rows_at[-1]
        else:
            header = [f"| Field | Value |{self.newline}", f"|-------|-------|{self.newline}"]
            self._ensure_newline(0)
            row = Piece([f"| {key} | {escape_cell(value)} |{self.newline}"], "row", norm_key(key))
            self.pieces[1:1] = [Piece(header, "table"), row]
            return
        self._ensure_newline(at)
        self.pieces.insert(at + 1, Piece(new, "row", norm_key(key)))

    def set_section(self, name: str, text: str | None) -> None:
        """Rewrite a section's lines, append it at the end of the record, or drop it (None)."""
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
            lines = self.pieces[index].lines
            old_last = lines[-1]
            if heading_level(split_ending(lines[0])[0]):
                new = [lines[0], *(f"{line}{self.newline}" for line in body_lines(text))]
            else:
                new = section_lines(name, text, self.newline)
            if not split_ending(old_last)[1]:
                new[-1] = split_ending(new[-1])[0]
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
        if self.section_style == "heading":
            lines = [
                f"{'#' * (self.level + 1)} {name}{self.newline}",
                *(f"{line}{self.newline}" for line in body_lines(text)),
            ]
        else:
            lines = section_lines(name, text, self.newline)
        added = [Piece([self.newline]), Piece(lines, "section", norm_key(name))]
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
        if lines and not split_ending(lines[-1])[1]:
            lines[-1] += self.newline


@dataclass
class Document:
    """Raw text and record blocks, in file order."""

    parts: list[str | Block]
    newline: str = "\n"
    stray_headings: list[tuple[int, str]] = field(default_factory=list)
    """Level-3 headings outside code fences and records that are not `### ID` records: (line, text)."""

    @property
    def blocks(self) -> list[Block]:
        return [p for p in self.parts if isinstance(p, Block)]

    def render(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def raw_lines(self) -> list[tuple[int, str]]:
        """Lines outside records, outside code fences: (line number, text without its ending)."""
        out: list[tuple[int, str]] = []
        number = 1
        for part in self.parts:
            lines = (part if isinstance(part, str) else part.text()).splitlines(keepends=True)
            if isinstance(part, str):
                in_fence = False
                for offset, line in enumerate(lines):
                    bare = split_ending(line)[0]
                    if FENCE.match(bare):
                        in_fence = not in_fence
                    elif not in_fence:
                        out.append((number + offset, bare))
            number += len(lines)
        return out


def parse_document(text: str) -> Document:
    """Split Markdown into raw text and record blocks; never fails."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    doc = Document(parts=[], newline=newline)
    raw: list[str] = []
    i = 0
    while i < len(lines):
        bare, _ = split_ending(lines[i])
        heading = _RECORD_HEADING.match(bare)
        if heading:
            if raw:
                doc.parts.append("".join(raw))
                raw = []
            level = len(heading.group("hashes"))
            end = _block_end(lines, i, level)
            doc.parts.append(_parse_block(lines[i:end], i + 1, heading, newline, level))
            i = end
            continue
        if FENCE.match(bare):
            end = fence_end(lines, i)
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


def _block_end(lines: list[str], start: int, level: int) -> int:
    """A record ends at a heading of its own level or above, or at the next record's heading."""
    j = start + 1
    while j < len(lines):
        bare, _ = split_ending(lines[j])
        if FENCE.match(bare):
            j = fence_end(lines, j)
            continue
        found = heading_level(bare)
        if found and (found <= level or _RECORD_HEADING.match(bare)):
            break
        j += 1
    return j


def _section_end(lines: list[str], start: int, *, sub_heading: bool) -> int:
    """Index just past the section's last non-blank line (trailing blank lines are not part of it).

    A bold section ends at the next bold section, rule or heading; a sub-heading section only at the
    next rule or heading, so bold labels inside it (`**Task:** ...`) stay part of its text.
    """
    last = start
    j = start + 1
    while j < len(lines):
        bare, _ = split_ending(lines[j])
        if FENCE.match(bare):
            j = fence_end(lines, j)
            last = j - 1
            continue
        if (not sub_heading and SECTION.match(bare)) or RULE.match(bare) or heading_level(bare):
            break
        if bare.strip():
            last = j
        j += 1
    return last + 1


def _parse_block(lines: list[str], line_no: int, heading: re.Match[str], newline: str, level: int) -> Block:
    rest = heading.group("rest").strip().lstrip(":-–—").strip()
    block = Block(
        heading.group("id"), rest or None, line_no, [Piece([lines[0]], "heading", line=line_no)], newline
    )
    block.level = level
    seen_section = False
    sub_headings = False
    i = 1
    while i < len(lines):
        bare, _ = split_ending(lines[i])
        here = line_no + i
        if FENCE.match(bare):
            end = fence_end(lines, i)
            block.pieces.append(Piece(lines[i:end], line=here))
            i = end
            continue
        sub = HEADING.match(bare) if heading_level(bare) > level else None
        section = None if sub_headings else SECTION.match(bare)
        if sub or section:
            end = _section_end(lines, i, sub_heading=sub is not None)
            body = [split_ending(x)[0] for x in lines[i + 1 : end]]
            if sub:
                name = (sub.group("text") or "").rstrip("#").strip().rstrip(":").strip()
                text = "\n".join(body).strip()
                sub_headings = True
            else:
                assert section is not None
                name = section.group("name").strip()
                text = "\n".join([section.group("rest").strip(), *body]).strip()
            _add_section(block, Section(name, text, here, "heading" if sub else "bold"), lines[i:end])
            seen_section = True
            i = end
            continue
        if not seen_section and bare.lstrip().startswith("|"):
            next_bare = split_ending(lines[i + 1])[0] if i + 1 < len(lines) else ""
            block.pieces.append(_table_piece(block, bare, lines[i], here, next_bare))
            i += 1
            continue
        bullet = None if seen_section else BULLET_FIELD.match(bare)
        if bullet:
            block.pieces.append(
                _field_piece(block, bullet.group("name").strip(), bullet.group("value"), lines[i], here)
            )
            i += 1
            continue
        block.pieces.append(Piece([lines[i]], line=here))
        i += 1
    return block


def _add_section(block: Block, section: Section, lines: list[str]) -> None:
    key = norm_key(section.name)
    if key in block.sections:
        first = block.sections[key].line
        block.problems.append(
            (section.line, f"section '{section.name}' appears twice (first on line {first})")
        )
        block.pieces.append(Piece(lines, line=section.line))
        return
    block.sections[key] = section
    block.pieces.append(Piece(lines, "section", key, section.line))


def _table_piece(block: Block, bare: str, line: str, line_no: int, next_bare: str) -> Piece:
    cells = split_cells(bare)
    if cells == [] or is_separator(bare) or is_separator(next_bare):
        return Piece([line], "table", line=line_no)
    if cells is None or len(cells) != 2 or not cells[0].strip():
        block.problems.append((line_no, "malformed table row (expected '| Field | Value |')"))
        return Piece([line], "table", line=line_no)
    return _field_piece(block, cells[0].strip(), cells[1], line, line_no)


def _field_piece(block: Block, name: str, value: str, line: str, line_no: int) -> Piece:
    key = norm_key(name)
    if key in block.rows:
        first = block.rows[key].line
        block.problems.append((line_no, f"field '{name}' appears twice (first on line {first})"))
        return Piece([line], "table" if line.lstrip().startswith("|") else "raw", line=line_no)
    block.rows[key] = Row(name, value.strip(), line_no)
    return Piece([line], "row", key, line_no)
