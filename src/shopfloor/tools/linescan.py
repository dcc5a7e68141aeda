"""One pass over a text file that keeps only a window of its lines: the rest is counted and hashed.

Read asks for at most a couple of thousand lines; a file of gigabytes (or one line of gigabytes) must not
be loaded to show them. Memory stays bounded by the window, whatever the file's size.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK_BYTES = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


@dataclass(frozen=True)
class WindowLine:
    number: int
    text: str
    """The line's start, at most `keep_chars` characters."""
    length: int
    """Its full length in characters."""


@dataclass
class Scan:
    lines: list[WindowLine] = field(default_factory=list)
    total: int = 0
    """Lines in the file; a final newline does not start one more."""
    sha256: str = ""
    mtime_ns: int = 0


class _Window:
    """Collects lines `first`..`last` (1-based) from decoded text arriving in pieces."""

    def __init__(self, first: int, last: int, keep_chars: int):
        self.first, self.last, self.keep = first, last, keep_chars
        self.number = 1
        self.parts: list[str] = []
        self.kept = 0
        self.length = 0
        self.last_char = ""
        self.lines: list[WindowLine] = []
        self.any_text = False

    def feed(self, text: str) -> None:
        if not text:
            return
        self.any_text = True
        breaks = text.count("\n")
        if self.number + breaks < self.first or self.number > self.last:
            # The whole piece lies outside the window: count its lines, keep nothing.
            self.number += breaks
            self.last_char = "\n" if text.endswith("\n") else text[-1]
            return
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if self.first <= self.number <= self.last:
                self._grow(piece)
            if piece:
                self.last_char = piece[-1]
            if i < len(pieces) - 1:
                self._end_line()

    def _grow(self, piece: str) -> None:
        self.length += len(piece)
        room = self.keep + 1 - self.kept  # one more than kept, to know whether a "\r" ends the line
        if room > 0:
            self.parts.append(piece[:room])
            self.kept += min(room, len(piece))

    def _end_line(self) -> None:
        if self.first <= self.number <= self.last:
            text = "".join(self.parts)
            length = self.length
            if self.last_char == "\r":  # a CRLF ending is not part of the line
                length -= 1
            self.lines.append(WindowLine(self.number, text[: min(length, self.keep)], length))
        self.number += 1
        self.parts, self.kept, self.length, self.last_char = [], 0, 0, "\n"

    def finish(self) -> int:
        """Ends the last line (one without a newline) and returns the number of lines."""
        if not self.any_text:
            return 0
        if self.last_char != "\n":
            self._end_line()
        return self.number - 1


def scan(fh: BinaryIO, first: int, count: int, keep_chars: int) -> Scan:
    """Read `fh` once: lines `first`..`first+count-1` (each cut to `keep_chars`), the line
    total, its SHA-256 and mtime. Undecodable bytes become U+FFFD."""
    hasher = hashlib.sha256()
    head = fh.read(CHUNK_BYTES)
    hasher.update(head)
    encoding, skip = "utf-8", 0
    if head.startswith(_UTF8_BOM):
        skip = len(_UTF8_BOM)
    elif head[:2] in _UTF16_BOMS:
        encoding, skip = _UTF16_BOMS[head[:2]], 2
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    window = _Window(first, first + count - 1, keep_chars)
    window.feed(decoder.decode(head[skip:]))
    while chunk := fh.read(CHUNK_BYTES):
        hasher.update(chunk)
        window.feed(decoder.decode(chunk))
    window.feed(decoder.decode(b"", final=True))
    total = window.finish()
    return Scan(
        lines=window.lines,
        total=total,
        sha256=hasher.hexdigest(),
        mtime_ns=os.fstat(fh.fileno()).st_mtime_ns,
    )
