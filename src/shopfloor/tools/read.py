"""Read: a text file as numbered lines, a window of it at a time."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.beneath import Swapped, open_file
from shopfloor.tools.context import ToolContext
from shopfloor.tools.linescan import WindowLine, scan
from shopfloor.tools.textfiles import (
    SNIFF_BYTES,
    has_binary_extension,
    looks_binary,
    missing_file_error,
    number_line,
)

MAX_LINES = 2000
MAX_LINE_CHARS = 2000
MAX_OUTPUT_CHARS = 250_000
"""Stops a window of very long lines from flooding the context; the rest is one offset away."""


class ReadInput(ToolInput):
    file_path: str = Field(description="Absolute path of the file to read.")
    offset: int | None = Field(
        default=None,
        ge=0,
        description="First line to show (1-based), for files too long for one call.",
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        description=f"How many lines to show (at most {MAX_LINES}), for long files.",
    )


class ReadTool(Tool[ReadInput]):
    name = "Read"
    read_only = True
    input_model = ReadInput
    description = (
        "Read a text file (absolute path). Each line comes prefixed with its number and a tab, which are "
        "not part of the file: leave them out when you copy text into Edit. Up to "
        f"{MAX_LINES} lines a call, lines cut at {MAX_LINE_CHARS} characters; for a longer file the answer "
        "says which lines you got, and `offset` and `limit` fetch the rest. Read a file in full before "
        "changing it with Edit or Write. Read several relevant files in one turn. Directories (use Glob "
        "or `ls`) and binary files cannot be read."
    )

    async def run(self, args: ReadInput, ctx: ToolContext) -> str:
        path = ctx.workspace.resolve(args.file_path)
        if path.is_dir():
            raise ToolError(
                f"Error: {path} is a directory, not a file. To see what it holds, use Glob "
                f'(for example pattern "*" with path "{path}") or run `ls {path}` with Bash.'
            )
        if not path.exists():
            raise ToolError(missing_file_error(path))
        if not path.is_file():  # a FIFO or device would block or never end
            raise ToolError(f"Error: {path} is not a regular file, so it cannot be read.")
        if has_binary_extension(path):
            raise ToolError(_binary_error(path))
        start = max(args.offset or 1, 1)
        wanted = min(args.limit or MAX_LINES, MAX_LINES)
        base = ctx.workspace.base_of(path)
        try:
            fd = open_file(base, path.relative_to(base))
        except FileNotFoundError as err:
            raise ToolError(missing_file_error(path)) from err
        except Swapped as err:
            raise ToolError(f"Error: {path} is not a regular file, so it cannot be read.") from err
        except OSError as err:
            raise ToolError(f"Error: cannot read {path}: {err.strerror or err}") from err
        with os.fdopen(fd, "rb") as fh:
            if looks_binary(path, os.pread(fd, SNIFF_BYTES, 0)):
                raise ToolError(_binary_error(path))
            # The whole file is read once (counted and hashed) but only the window is kept, off the loop.
            found = await anyio.to_thread.run_sync(scan, fh, start, wanted, MAX_LINE_CHARS)

        total = found.total
        whole_file_asked = args.offset is None and args.limit is None
        if total == 0:
            ctx.read_state.record_digest(path, found.sha256, found.mtime_ns, full=True)
            return f"The file {path} exists but is empty (0 lines)."
        if start > total:
            ctx.read_state.record_digest(path, found.sha256, found.mtime_ns, full=False)
            return (
                f"The file {path} has {total} line{'s' if total != 1 else ''}, so offset {start} is past "
                f"its end. Call Read with an offset from 1 to {total}."
            )
        shown, cut_lines, size_capped = _render(found.lines)
        end = start + len(shown) - 1
        # Asking without offset/limit counts as reading the whole file, even when only its first
        # window fits: that is all a model can do in one call, and later windows keep the permission.
        full = whole_file_asked or (start == 1 and end == total)
        ctx.read_state.record_digest(path, found.sha256, found.mtime_ns, full=full)

        out = "\n".join(shown)
        notes = []
        if cut_lines:
            notes.append(
                f"{cut_lines} line{' was' if cut_lines == 1 else 's were'} longer than {MAX_LINE_CHARS} "
                "characters and cut where marked."
            )
        if start > 1 or end < total:
            note = f"Showing lines {start}-{end} of {total}."
            if end < total:
                why = " (the answer size limit was reached)" if size_capped else ""
                note += (
                    f" The file continues{why}: call Read with offset={end + 1} to see more, and with "
                    "limit to choose how many lines."
                )
            notes.append(note)
        if notes:
            out += "\n\n[" + " ".join(notes) + "]"
        return out


def _render(lines: list[WindowLine]) -> tuple[list[str], int, bool]:
    """Numbered lines; returns them, how many were cut, and whether the size cap hit."""
    shown: list[str] = []
    cut = 0
    size = 0
    for line in lines:
        text = line.text
        too_long = line.length > MAX_LINE_CHARS
        if too_long:
            text = f"{text[:MAX_LINE_CHARS]} [... {line.length - MAX_LINE_CHARS} more characters cut]"
        rendered = number_line(line.number, text)
        size += len(rendered) + 1
        if shown and size > MAX_OUTPUT_CHARS:
            return shown, cut, True
        shown.append(rendered)
        cut += too_long
    return shown, cut, False


def _binary_error(path: Path) -> str:
    return (
        f"Error: {path} is a binary file, so Read cannot show it as text. If you need facts about it, "
        f"use Bash (for example `file {path}` or `xxd {path} | head`)."
    )
