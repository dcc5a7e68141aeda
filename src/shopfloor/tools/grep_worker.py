"""The pure-Python Grep engine in a child process of its own, so a search can always be stopped.

Python's regex engine holds the interpreter lock for as long as one match runs, and a pattern such as
`(a+)+$` can run for minutes on one line: in a thread it would freeze every agent of the run. In a child
process it runs beside them, and at the time limit its whole process group is killed.

The child runs `grep_child.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
import tempfile
from typing import Any

from shopfloor.tools.grep_child import PATTERN_ERROR
from shopfloor.tools.grep_regex import compile_pattern
from shopfloor.tools.grep_search import FileHits, Line, PatternError, SearchSpec, SearchTimeout
from shopfloor.tools.process import child_env, kill_group


async def search_python_isolated(spec: SearchSpec) -> list[FileHits]:
    """`search_python` in a child process killed at `spec.timeout_s`; the same answers and errors."""
    compile_pattern(spec.pattern, ignore_case=spec.ignore_case, multiline=spec.multiline)  # PatternError
    with (
        tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as spec_file,
        tempfile.NamedTemporaryFile("rb", suffix=".json") as out_file,
        tempfile.TemporaryFile() as err_file,
    ):
        json.dump(_spec_to_json(spec), spec_file)
        spec_file.flush()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "shopfloor.tools.grep_child", spec_file.name, out_file.name,
            cwd=str(spec.root if spec.root.is_dir() else spec.root.parent), env=child_env(),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err_file,
            start_new_session=True,
        )  # fmt: skip
        try:
            await asyncio.wait_for(proc.wait(), max(spec.timeout_s, 0.0))
        except TimeoutError:
            raise SearchTimeout from None
        finally:
            if proc.returncode is None:  # a timeout or a cancelled tool call: nothing outlives it
                kill_group(proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    await proc.wait()
        err_file.seek(0)
        said = err_file.read().decode("utf-8", "replace").strip()
        if proc.returncode == PATTERN_ERROR:
            raise PatternError(said)
        if proc.returncode != 0:
            raise SearchTimeout if "SearchTimeout" in said else RuntimeError(f"grep worker failed: {said}")
        return [_hits_from_json(h) for h in json.loads(out_file.read() or b"[]")]


def _spec_to_json(spec: SearchSpec) -> dict[str, Any]:
    data = dataclasses.asdict(spec)
    data["root"] = str(spec.root)
    return data


def _hits_from_json(raw: list[Any]) -> FileHits:
    path, matched, lines, gaps = raw
    return FileHits(path, matched, [Line(*line) for line in lines], gaps)
