"""The ripgrep Grep engine: build the command line, run rg, parse what it prints into FileHits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from typing import overload

from shopfloor.tools.base import ToolError
from shopfloor.tools.grep_regex import newline_error
from shopfloor.tools.grep_search import FileHits, Line, PatternError, SearchSpec, SearchTimeout
from shopfloor.tools.process import child_env, kill_group

# rg only caps what it prints; the Grep answer cuts lines much shorter. A preview keeps the cut text.
_PRINT_COLUMNS = 4000
_MAX_OUTPUT = 256 * 1024 * 1024
_TYPE_NAME = "shopfloorgrep"
_LINE = re.compile(rb"(\d+)([:-])")
_PCRE_HINT = re.compile(r"\n*Consider enabling PCRE2.*", re.DOTALL)


def rg_argv(rg: str, spec: SearchSpec) -> list[str]:
    """The rg command line for `spec`; run it with the search root (or a file's folder) as cwd."""
    argv = [rg, "--no-config", "--color", "never", "--hidden", "--no-ignore-global", "--no-messages"]
    argv += ["--null", "--with-filename"]
    if spec.mode == "files":
        argv.append("--files-with-matches")
    elif spec.mode == "count":
        argv.append("--count")
    else:
        # One heading per file: a file's rows are found and counted without splitting them one by one.
        argv += ["--line-number", "--heading", "--max-columns", str(_PRINT_COLUMNS)]
        argv.append("--max-columns-preview")
        if spec.before:
            argv += ["--before-context", str(spec.before)]
        if spec.after:
            argv += ["--after-context", str(spec.after)]
    if spec.ignore_case:
        argv.append("--ignore-case")
    if spec.multiline:
        argv += ["--multiline", "--multiline-dotall"]
    for glob in spec.type_globs:
        argv += ["--type-add", f"{_TYPE_NAME}:{glob}"]
    if spec.type_globs:
        argv += ["--type", _TYPE_NAME]
    for glob in spec.globs:
        argv += ["--glob", glob]
    argv += ["--glob", "!.git"]  # last, so no user glob can bring .git back
    argv += ["--regexp", spec.pattern, "--", str(spec.root)]
    return argv


async def search_rg(spec: SearchSpec, rg: str) -> list[FileHits]:
    """Run ripgrep for `spec`; raises PatternError for a bad regex, SearchTimeout when too slow."""
    cwd = spec.root if spec.root.is_dir() else spec.root.parent
    # rg writes each file's results separately; through a pipe every write would wake the event loop,
    # which costs more than the search itself on big answers. A temporary file takes them all at once.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = await asyncio.create_subprocess_exec(
            *rg_argv(rg, spec),
            cwd=str(cwd),
            env=child_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,
        )
        try:
            await asyncio.wait_for(proc.wait(), spec.timeout_s)
        except TimeoutError:
            raise SearchTimeout from None
        finally:
            if proc.returncode is None:
                kill_group(proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    await proc.wait()
        if os.fstat(out_file.fileno()).st_size > _MAX_OUTPUT:
            raise ToolError(
                "Error: the search printed more than 256 MB; narrow it with a more specific pattern, "
                "path, glob or type."
            )
        out_file.seek(0)
        out = out_file.read()
        err_file.seek(0)
        err = err_file.read(64 * 1024)
    if proc.returncode == 2 and not out:
        message = err.decode("utf-8", errors="replace").strip()
        if message.startswith("regex parse error") or "error parsing regex" in message:
            raise PatternError(_PCRE_HINT.sub("", message))
        if message.startswith("the literal"):
            raise newline_error()
        if message:
            raise ToolError(f"Error: ripgrep failed: {message}")
    return parse_output(out, spec)


def parse_output(out: bytes, spec: SearchSpec) -> list[FileHits]:
    """FileHits from rg's --null output in the mode `spec` asked for."""
    if spec.mode == "files":
        return [FileHits(_path(p)) for p in out.split(b"\0") if p]
    if spec.mode == "count":
        hits = []
        for row in out.split(b"\n"):
            path, sep, count = row.rpartition(b"\0")
            if sep and count.isdigit():
                hits.append(FileHits(_path(path), int(count)))
        return hits
    return _parse_headings(out, grouped=spec.before > 0 or spec.after > 0)


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")  # what os.fsdecode does on a UTF-8 system, but faster


def _parse_headings(out: bytes, grouped: bool) -> list[FileHits]:
    """One FileHits per file block (`path\0row\nrow\n...`, blocks apart by an empty line).

    A page shows at most a few hundred rows, but the answer says how many there are in all: each block's
    rows (and `--` breaks, with context) are counted in C (`bytes.count`), and only the blocks the page
    reaches are ever split into Lines. The rows themselves are never copied.
    """
    hits: list[FileHits] = []
    if not out.endswith(b"\n"):
        out += b"\n"
    # rg's note on a binary file it stopped reading after a match: a row of its own, not a line of text
    notes = b": WARNING: " in out
    find, count = out.find, out.count
    pos, size = 0, len(out)
    while pos < size:
        nul = find(b"\0", pos)
        if nul < 0:
            break
        end = find(b"\n\n", nul) + 1 or size  # every row starts with its line number: none is empty
        path = out[pos:nul]
        rows = count(b"\n", nul, end)
        gaps = count(b"\n--\n", nul, end) if grouped else 0
        if notes:
            rows -= count(b"\n" + path + b": WARNING: ", nul, end)
        hits.append(FileHits(_path(path), 0, _BlockLines(out, nul + 1, end, rows - gaps), gaps))
        pos = end + 1
    return hits


class _BlockLines(Sequence[Line]):
    """One file's rows as rg printed them (`12:text` or `12-text`), parsed on first use."""

    __slots__ = ("_count", "_end", "_out", "_parsed", "_start")

    def __init__(self, out: bytes, start: int, end: int, count: int):
        self._out, self._start, self._end, self._count = out, start, end, count
        self._parsed: list[Line] | None = None

    def _lines(self) -> list[Line]:
        if self._parsed is None:
            self._parsed = []
            for rest in self._out[self._start : self._end].split(b"\n"):
                m = _LINE.match(rest)
                if m is not None:
                    text = rest[m.end() :].decode("utf-8", "replace")
                    self._parsed.append(Line(int(m.group(1)), text, m.group(2) == b":"))
        return self._parsed

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Line: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Line]: ...

    def __getitem__(self, index: int | slice) -> Line | Sequence[Line]:
        return self._lines()[index]

    def __iter__(self) -> Iterator[Line]:
        return iter(self._lines())
