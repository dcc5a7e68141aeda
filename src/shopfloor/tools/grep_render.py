"""The Grep answer: ordering, layout and paging, the same whichever engine found the matches."""

from __future__ import annotations

import os
from collections.abc import Sequence

from shopfloor.tools.grep_search import FileHits, SearchMode, SearchSpec

LINE_LIMIT = 500
"""Characters kept of each printed line."""


def empty(mode: SearchMode) -> str:
    return "No matches found" if mode == "content" else "No files found"


def render(hits: Sequence[FileHits], spec: SearchSpec, numbers: bool, limit: int, offset: int) -> str:
    """The answer laid out for `spec.mode`, with the page `offset`/`limit` of its entries."""
    if not hits:
        return empty(spec.mode)
    # Newest first where it is asked for (file lists); by path elsewhere: as stable, and it saves a
    # stat of every matching file, which on big answers costs more than the search.
    ordered = newest_first(hits) if spec.mode == "files" else sorted(hits, key=lambda h: h.path)
    if spec.mode == "content":
        page, total = _content_page(ordered, spec, numbers, offset, limit)
        note = _note(total, offset, len(page), "lines")
        if note is None:
            return "\n".join(page)
        return "\n".join([*page, "", note] if page else [note])
    chosen = _window(ordered, offset, limit)
    note = _note(len(ordered), offset, len(chosen), "files")
    if spec.mode == "files":
        out = [f"Found {_plural(len(ordered), 'file')}", *(_shown(h.path) for h in chosen)]
        if note:
            out += ["", note] if chosen else [note]
        return "\n".join(out)
    total = sum(h.matched for h in ordered)
    occurrences = "occurrence" if total == 1 else "occurrences"
    out = [f"{_shown(h.path)}:{h.matched}" for h in chosen]
    out += ["", f"Found {total} total {occurrences} across {_plural(len(ordered), 'file')}."]
    return "\n".join([*out, note] if note else out)


def newest_first(hits: Sequence[FileHits]) -> list[FileHits]:
    """Most recently modified first; ties (and vanished files) by path."""

    paths = [h.path for h in hits]
    # Sorting plain tuples keeps the comparisons in C; this matters with tens of thousands of files.
    order = sorted(zip([-t for t in _mtimes(paths)], paths, range(len(paths)), strict=True))
    return [hits[i] for _, _, i in order]


def _mtimes(paths: Sequence[str]) -> list[int]:
    out = []
    for path in paths:
        try:
            out.append(os.stat(path).st_mtime_ns)  # noqa: PTH116 - a Path per file costs as much as the stat
        except OSError:
            out.append(0)
    return out


def _window(items: Sequence[FileHits], offset: int, limit: int) -> Sequence[FileHits]:
    return items[offset : offset + limit] if limit else items[offset:]


def _content_page(
    ordered: Sequence[FileHits], spec: SearchSpec, numbers: bool, offset: int, limit: int
) -> tuple[list[str], int]:
    """The printed lines in [offset, offset+limit) and how many there are in all.

    Only files that reach into the page are formatted; the rest are just counted.
    """
    grouped = spec.before > 0 or spec.after > 0
    sizes = [_printed_size(h, grouped, first=i == 0) for i, h in enumerate(ordered)]
    total = sum(sizes)
    end = min(offset + limit, total) if limit else total
    page: list[str] = []
    pos = 0
    for i, (h, size) in enumerate(zip(ordered, sizes, strict=True)):
        if pos >= end:
            break
        if pos + size > offset:
            printed = _file_lines(h, grouped, numbers, first=i == 0)
            page += printed[max(offset - pos, 0) : end - pos]
        pos += size
    return page, total


def _printed_size(h: FileHits, grouped: bool, *, first: bool) -> int:
    if not grouped:
        return len(h.lines)
    return len(h.lines) + h.gaps + (0 if first else 1)


def _file_lines(h: FileHits, grouped: bool, numbers: bool, *, first: bool) -> list[str]:
    """`path:12:text` for matches, `path-13-text` for context, `--` between separate groups."""
    path = _shown(h.path)
    out: list[str] = []
    previous = None if first else -1
    for line in h.lines:
        if grouped and previous is not None and line.number != previous + 1:
            out.append("--")
        sep = ":" if line.is_match else "-"
        where = f"{path}{sep}{line.number}{sep}" if numbers else f"{path}{sep}"
        out.append(where + _cut(line.text))
        previous = line.number
    return out


def _note(total: int, offset: int, shown: int, noun: str) -> str | None:
    """A line telling how to see the rest, when the page is not everything."""
    end = offset + shown
    if not shown:
        return f"[offset={offset} is past the end: there are only {total} {noun}.]"
    if end < total:
        return f"[Showing {noun} {offset + 1}-{end} of {total}. Use offset={end} to see more.]"
    if offset:
        return f"[Showing {noun} {offset + 1}-{end} of {total}.]"
    return None


def _shown(text: str) -> str:
    """Make a file name safe to print: undecodable bytes become U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _cut(text: str) -> str:
    text = text.removesuffix("\r")
    if len(text) <= LINE_LIMIT:
        return text
    return text[:LINE_LIMIT] + f" [... line cut at {LINE_LIMIT} characters]"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
