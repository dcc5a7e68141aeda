"""The ripgrep Grep engine: build the command line, run rg, parse what it prints into FileHits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Sequence

from shopfloor.process import kill_group, scrub_env
from shopfloor.tools.base import ToolError
from shopfloor.tools.grep_regex import newline_error
from shopfloor.tools.grep_search import FileHits, Line, PatternError, SearchSpec, SearchTimeout

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
        argv += ["--line-number", "--no-heading", "--max-columns", str(_PRINT_COLUMNS)]
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
    proc = await asyncio.create_subprocess_exec(
        *rg_argv(rg, spec),
        cwd=str(cwd),
        env=scrub_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(_collect(proc), spec.timeout_s)
    except TimeoutError:
        raise SearchTimeout from None
    finally:
        if proc.returncode is None:
            kill_group(proc.pid)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
    code = proc.returncode
    if code == 2 and not out:
        message = err.decode("utf-8", errors="replace").strip()
        if message.startswith("regex parse error") or "error parsing regex" in message:
            raise PatternError(_PCRE_HINT.sub("", message))
        if message.startswith("the literal"):
            raise newline_error()
        if message:
            raise ToolError(f"Error: ripgrep failed: {message}")
    return parse_output(out, spec)


async def _collect(proc: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    assert proc.stdout is not None and proc.stderr is not None
    err_task = asyncio.ensure_future(proc.stderr.read())
    chunks: list[bytes] = []
    size = 0
    while chunk := await proc.stdout.read(1 << 20):
        chunks.append(chunk)
        size += len(chunk)
        if size > _MAX_OUTPUT:
            err_task.cancel()
            raise ToolError(
                "Error: the search printed more than 256 MB; narrow it with a more specific pattern, "
                "path, glob or type."
            )
    err = await err_task
    await proc.wait()
    return b"".join(chunks), err


def parse_output(out: bytes, spec: SearchSpec) -> list[FileHits]:
    """FileHits from rg's --null output in the mode `spec` asked for."""
    if spec.mode == "files":
        return [FileHits(os.fsdecode(p)) for p in out.split(b"\0") if p]
    if spec.mode == "count":
        hits = []
        for row in out.splitlines():
            path, sep, count = row.rpartition(b"\0")
            if sep and count.isdigit():
                hits.append(FileHits(os.fsdecode(path), int(count)))
        return hits
    return _parse_content(out.split(b"\n"))


def _parse_content(rows: Sequence[bytes]) -> list[FileHits]:
    by_path: dict[bytes, FileHits] = {}
    for row in rows:
        path, sep, rest = row.partition(b"\0")
        if not sep:
            continue  # "--" group separators; we lay out groups ourselves
        m = _LINE.match(rest)
        if m is None:
            continue
        hits = by_path.get(path)
        if hits is None:
            hits = by_path[path] = FileHits(os.fsdecode(path))
        is_match = m.group(2) == b":"
        text = rest[m.end() :].decode("utf-8", errors="replace")
        hits.lines.append(Line(int(m.group(1)), text, is_match))
        if is_match:
            hits.count += 1
    return list(by_path.values())
