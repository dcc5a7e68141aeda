"""What the task queue and the issue queue share: Markdown records edited in place, problems with lines."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

from shopfloor.queue.markdown import Block, Document, parse_document


@dataclass(frozen=True)
class QueueProblem:
    """Something wrong in a queue file, at a line a person can jump to."""

    path: str
    line: int
    task_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: "
        return where + (f"{self.task_id}: " if self.task_id else "") + self.message


@dataclass(frozen=True)
class Found:
    """Where a field was written: its name as written, its text, its line and its kind of place."""

    name: str
    text: str
    line: int
    place: Literal["row", "section", "line"]


def find_all(block: Block, keys: tuple[str, ...]) -> list[Found]:
    """Every place a field is written under one of `keys` (normalised names): rows before sections."""
    out: list[Found] = []
    for key in keys:
        if key in block.rows:
            row = block.rows[key]
            out.append(Found(row.key, row.value, row.line, "row"))
        if key in block.sections:
            section = block.sections[key]
            out.append(Found(section.name, section.text, section.line, "section"))
    return out


R = TypeVar("R", bound=BaseModel)


@dataclass
class Entry(Generic[R]):
    block: Block
    record: R | None
    original: R | None


class RecordQueue(abc.ABC, Generic[R]):
    """Records read from `### ID` blocks; `render()` rewrites only the blocks whose record changed."""

    def __init__(self, doc: Document, path: str) -> None:
        self.path = path
        self._doc = doc
        self._entries: list[Entry[R]] = []
        self.problems: list[QueueProblem] = []
        """Problems found while reading."""
        for block in doc.blocks:
            record, problems = self._read(block, path)
            self.problems += problems
            self._entries.append(Entry(block, record, record.model_copy(deep=True) if record else None))

    @abc.abstractmethod
    def _read(self, block: Block, path: str) -> tuple[R | None, list[QueueProblem]]:
        """One block as a record (None when it cannot be read) and what is wrong with it."""

    @abc.abstractmethod
    def _apply(self, block: Block, before: R, after: R) -> None:
        """Write the differences between two versions of a record into its block."""

    @abc.abstractmethod
    def _render(self, record: R, newline: str) -> str:
        """A new record's block, as text."""

    @property
    def records(self) -> list[R]:
        """Records that could be read, in file order."""
        return [e.record for e in self._entries if e.record is not None]

    @property
    def ids(self) -> list[str]:
        """Every `### ID` heading, including records that could not be read."""
        return [e.block.id for e in self._entries]

    def __iter__(self) -> Iterator[R]:
        return iter(self.records)

    def __contains__(self, record_id: object) -> bool:
        return any(_id(r) == record_id for r in self.records)

    def get(self, record_id: str) -> R:
        for record in self.records:
            if _id(record) == record_id:
                return record
        raise KeyError(record_id)

    def line_of(self, record_id: str) -> int:
        """Line of the record's heading."""
        for entry in self._entries:
            if entry.block.id == record_id:
                return entry.block.line
        raise KeyError(record_id)

    def _append(self, record: R, text: str | None = None, prefix: str = "") -> None:
        """Add a record's block (`text`, or the standard rendering) at the end of the file, a blank line
        after what is there (then `prefix`)."""
        nl = self._doc.newline
        current = self._doc.render()
        if current and not current.endswith(nl * 2):
            self._doc.parts.append(nl if current.endswith(nl) else nl * 2)
        if prefix:
            self._doc.parts.append(prefix)
        block = parse_document(text or self._render(record, nl)).blocks[0]
        self._doc.parts.append(block)
        self._entries.append(Entry(block, record, record.model_copy(deep=True)))

    def render(self) -> str:
        edited: dict[int, Block] = {}
        for entry in self._entries:
            if entry.record is not None and entry.original is not None and entry.record != entry.original:
                block = entry.block.copy()
                self._apply(block, entry.original, entry.record)
                edited[id(entry.block)] = block
        return "".join(p if isinstance(p, str) else edited.get(id(p), p).text() for p in self._doc.parts)


def _id(record: BaseModel) -> str:
    value = getattr(record, "id", None)
    assert isinstance(value, str)
    return value
