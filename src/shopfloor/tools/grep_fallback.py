"""The pure-Python Grep engine, used when ripgrep is not installed; it answers as ripgrep does.

Files are walked with os.scandir under the same rules as ripgrep (see ignore.py); each file is read
whole, skipped when binary, tested with a cheap substring prefilter and then searched with one
precompiled regex over the whole text rather than line by line.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from shopfloor.tools.grep_regex import compile_pattern, required_literal
from shopfloor.tools.grep_search import FileHits, Line, SearchSpec, SearchTimeout, decode_text
from shopfloor.tools.ignore import IGNORE_FILES, IgnoreChain, Overrides, TypeFilter, Verdict, load_level

_LEVEL_NAMES = frozenset((*IGNORE_FILES, ".git"))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def search_python(spec: SearchSpec) -> list[FileHits]:
    """Run `spec` without ripgrep; raises PatternError for a bad regex, SearchTimeout when too slow."""
    matcher = _Matcher.build(spec)
    deadline = time.monotonic() + spec.timeout_s
    if spec.root.is_file():
        hit = matcher.scan_file(str(spec.root))
        return [hit] if hit else []
    hits: list[FileHits] = []
    for n, path in enumerate(walk(spec)):
        if n % 256 == 0 and time.monotonic() > deadline:
            raise SearchTimeout
        hit = matcher.scan_file(path)
        if hit is not None:
            hits.append(hit)
    return hits


def walk(spec: SearchSpec) -> Iterator[str]:
    """The files under the directory `spec.root` that ripgrep would search, in no particular order."""
    root = str(spec.root)
    overrides = Overrides(root, spec.globs) if spec.globs else None
    types = TypeFilter(spec.type_globs) if spec.type_globs else None
    stack: list[tuple[str, IgnoreChain]] = [(root, IgnoreChain.for_ancestors(spec.root))]
    while stack:
        directory, chain = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            continue
        names = {e.name for e in entries}
        if not names.isdisjoint(_LEVEL_NAMES):
            chain = chain.child(load_level(directory, names))
        check_ignores = bool(chain.levels)
        for entry in entries:
            name = entry.name
            if name == ".git":
                continue
            try:
                if entry.is_symlink():
                    continue  # ripgrep does not follow links unless asked
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir and not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            path = entry.path
            verdict = overrides.match(path, is_dir) if overrides else None
            if verdict is Verdict.IGNORE:
                continue
            if verdict is None:
                if check_ignores and chain.match(path, is_dir) is Verdict.IGNORE:
                    continue
                if types is not None and not is_dir and not types.keeps(name):
                    continue
            if is_dir:
                stack.append((path, chain))
            else:
                yield path


@dataclass
class _Matcher:
    spec: SearchSpec
    rx: re.Pattern[str]
    literal: bytes | None
    """Bytes every match contains (lower-cased when ignoring case), or None."""

    @classmethod
    def build(cls, spec: SearchSpec) -> _Matcher:
        rx = compile_pattern(spec.pattern, ignore_case=spec.ignore_case, multiline=spec.multiline)
        lit = required_literal(spec.pattern)
        if lit is not None and spec.ignore_case:
            lit = lit.lower() if lit.isascii() else None
        return cls(spec, rx, lit.encode() if lit else None)

    def scan_file(self, path: str) -> FileHits | None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        if self.literal is not None and not data.startswith(_UTF16_BOMS) and not self._may_match(data):
            return None
        text = decode_text(data)
        if text is None:
            return None
        if self.spec.multiline:
            return self._scan_multiline(path, text)
        return self._scan_lines(path, text)

    def _may_match(self, data: bytes) -> bool:
        assert self.literal is not None
        if not self.spec.ignore_case:
            return self.literal in data
        if not data.isascii():
            return True  # non-ASCII letters can fold onto ASCII ones; let the regex decide
        return self.literal in data.lower()

    def _scan_lines(self, path: str, text: str) -> FileHits | None:
        """Search the whole text, note the line, jump to the next line (measured faster than finditer)."""
        rx, n = self.rx, len(text)
        phantom_end = n == 0 or text.endswith("\n")  # no line starts after a final newline
        hits: list[int] = []
        line, counted, pos = 0, 0, 0
        while pos <= n:
            m = rx.search(text, pos)
            if m is None:
                break
            start, end = m.span()
            if start == n and phantom_end:
                break
            if text.find("\n", start, end) >= 0:
                return self._scan_each_line(path, text)
            line += text.count("\n", counted, start)
            counted = start
            hits.append(line)
            if self.spec.mode == "files":
                break
            nl = text.find("\n", end)
            if nl < 0:
                break
            pos = nl + 1
        return self._result(path, text, hits, len(hits))

    def _scan_each_line(self, path: str, text: str) -> FileHits | None:
        lines = _split_lines(text)
        search = self.rx.search
        hits = [i for i, line in enumerate(lines) if search(line)]
        return self._result(path, text, hits, len(hits), lines)

    def _scan_multiline(self, path: str, text: str) -> FileHits | None:
        n = len(text)
        phantom_end = n == 0 or text.endswith("\n")
        marked: set[int] = set()
        count, line, counted = 0, 0, 0
        for m in self.rx.finditer(text):
            start, end = m.span()
            if start == n and phantom_end:
                break
            line += text.count("\n", counted, start)
            counted = start
            last = line + text.count("\n", start, max(start, end - 1))
            marked.update(range(line, last + 1))
            count += 1
            if self.spec.mode == "files":
                break
        return self._result(path, text, sorted(marked), count)

    def _result(
        self, path: str, text: str, hits: list[int], count: int, lines: list[str] | None = None
    ) -> FileHits | None:
        if not hits:
            return None
        if self.spec.mode != "content":
            return FileHits(path, count)
        if lines is None:
            lines = _split_lines(text)
        before, after = self.spec.before, self.spec.after
        matched = set(hits)
        shown: set[int] = set()
        for h in hits:
            shown.update(range(max(h - before, 0), min(h + after, len(lines) - 1) + 1))
        order = sorted(shown)
        gaps = sum(1 for a, b in itertools.pairwise(order) if b != a + 1)
        return FileHits(path, count, [Line(i + 1, lines[i], i in matched) for i in order], gaps)


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
