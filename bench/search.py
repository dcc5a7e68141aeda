"""Grep and Glob against bare ripgrep on the generated tree: median times per query and ratios.

For each Grep query: bare `rg` with the equivalent flags, GrepTool on ripgrep, GrepTool's pure-Python
engine. For each Glob query: bare `rg --files -g PATTERN` and GlobTool. Every tool call goes through
the toolset, as the agent loop calls it. Runs are interleaved; both the wall time and the CPU time
(this process plus its children) are reported, the CPU time being the steadier on a shared machine.

Run from the repository root:  .venv/bin/python bench/search.py [--runs 5] [--skip-python] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_tree import ensure_tree

from shopfloor.tools.base import Tool
from shopfloor.tools.context import ToolContext
from shopfloor.tools.grep import GrepTool
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.workspace import ReadState, Workspace

RG_COMMON = ["--no-config", "--hidden", "--no-ignore-global", "--glob", "!.git"]


@dataclass(frozen=True)
class GrepQuery:
    name: str
    tool_args: dict[str, Any]
    rg_flags: list[str]


@dataclass(frozen=True)
class GlobQuery:
    name: str
    pattern: str


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


@dataclass
class Row:
    name: str
    times: dict[str, Timing] = field(default_factory=dict)


GREP_QUERIES = [
    GrepQuery("literal, files_with_matches", {"pattern": "TODO"}, ["-l", "-e", "TODO"]),
    GrepQuery(
        "regex + type py, content",
        {"pattern": r"def \w+_handler\(", "type": "py", "output_mode": "content"},
        ["-n", "-t", "py", "-e", r"def \w+_handler\("],
    ),
    GrepQuery(
        "-i, count",
        {"pattern": "error", "-i": True, "output_mode": "count"},
        ["-c", "-i", "-e", "error"],
    ),
    GrepQuery(
        "glob *.tsx + -C 2, content",
        {"pattern": "useState", "glob": "*.tsx", "output_mode": "content", "-C": 2},
        ["-n", "-C", "2", "-g", "*.tsx", "-e", "useState"],
    ),
    GrepQuery("no match", {"pattern": "zqxjv_not_here"}, ["-l", "-e", "zqxjv_not_here"]),
    GrepQuery(
        "multiline, files_with_matches",
        {"pattern": r'class \w+Client:\n\s+"""Retry', "multiline": True},
        ["-l", "-U", "--multiline-dotall", "-e", r'class \w+Client:\n\s+"""Retry'],
    ),
    # Answers far longer than the page Grep shows (250 lines): what the tool does with rg's output counts.
    GrepQuery(
        "large content, 9 MB",
        {"pattern": "const", "output_mode": "content"},
        ["-n", "-e", "const"],
    ),
    GrepQuery(
        "large content, 42 MB",
        {"pattern": "return|def ", "output_mode": "content"},
        ["-n", "-e", "return|def "],
    ),
    GrepQuery(
        "large content -C 1, 38 MB",
        {"pattern": "def ", "output_mode": "content", "-C": 1},
        ["-n", "-C", "1", "-e", "def "],
    ),
    GrepQuery(
        "large count, 150 MB of lines",
        {"pattern": r"\w", "output_mode": "count"},
        ["-c", "-e", r"\w"],
    ),
]
GLOB_QUERIES = [
    GlobQuery("**/*.py", "**/*.py"),
    GlobQuery("one package, *.ts", "packages/pkg007/**/*.ts"),
    GlobQuery("*.md by name", "*.md"),
    GlobQuery("no match", "**/*.nothing"),
]


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def medians(runs: int, contenders: dict[str, Callable[[], None]]) -> dict[str, Timing]:
    """Median wall and CPU seconds of each contender, runs interleaved so load drift hits all alike."""
    for once in contenders.values():
        once()  # warm-up: page cache, imports, first-call probes
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    cpus: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, once in contenders.items():
            c0, t0 = _cpu(), time.perf_counter()
            once()
            walls[name].append(time.perf_counter() - t0)
            cpus[name].append(_cpu() - c0)
    return {n: Timing(statistics.median(walls[n]), statistics.median(cpus[n])) for n in contenders}


def bare(argv: list[str], cwd: Path) -> Callable[[], None]:
    def once() -> None:
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False)

    return once


def tool_call(
    loop: asyncio.AbstractEventLoop, tool: Tool[Any], ctx: ToolContext, raw: dict[str, Any]
) -> Callable[[], None]:
    toolset = Toolset([tool])

    def once() -> None:
        result = loop.run_until_complete(toolset.call(tool.name, raw, ctx))
        if result.is_error:
            raise SystemExit(f"{tool.name} failed for {raw}: {result.content}")

    return once


def run_grep(
    root: Path, rg: str, ctx: ToolContext, loop: asyncio.AbstractEventLoop, args: argparse.Namespace
) -> list[Row]:
    rows = []
    for q in GREP_QUERIES:
        if args.only and args.only not in q.name:
            continue
        contenders = {
            "bare rg": bare([rg, *RG_COMMON, *q.rg_flags, str(root)], root),
            "Grep (rg)": tool_call(loop, GrepTool("rg"), ctx, q.tool_args),
        }
        if not args.skip_python:
            contenders["Grep (python)"] = tool_call(loop, GrepTool("python"), ctx, q.tool_args)
        row = Row(q.name, medians(args.runs, contenders))
        print(_line(row), flush=True)
        rows.append(row)
    return rows


def run_glob(
    root: Path, rg: str, ctx: ToolContext, loop: asyncio.AbstractEventLoop, args: argparse.Namespace
) -> list[Row]:
    try:
        from shopfloor.tools.glob import GlobTool
    except ImportError:
        print("GlobTool is not there yet; skipping the Glob benchmark")
        return []
    rows = []
    for q in GLOB_QUERIES:
        if args.only and args.only not in q.name:
            continue
        argv = [rg, "--no-config", "--files", "--hidden", "--no-ignore", "--glob", q.pattern]
        contenders = {
            "bare rg": bare([*argv, "--glob", "!.git", str(root)], root),
            "Glob": tool_call(loop, GlobTool(), ctx, {"pattern": q.pattern}),
        }
        row = Row(f"Glob {q.name}", medians(args.runs, contenders))
        print(_line(row), flush=True)
        rows.append(row)
    return rows


def _line(row: Row) -> str:
    base = row.times["bare rg"]
    parts = []
    for name, t in row.times.items():
        ratio = "" if name == "bare rg" else f" ({t.wall / base.wall:.2f}x, cpu {t.cpu / base.cpu:.2f}x)"
        parts.append(f"{name} {t.wall * 1000:.0f} ms{ratio}")
    return f"{row.name:30} " + " | ".join(parts)


def table(rows: list[Row]) -> str:
    """The figures as a Markdown table, for bench/README.md: wall ms, then ratio to bare rg (wall / CPU)."""
    out = [
        "| query | bare rg | tool on rg | ratio (wall / cpu) | Grep, Python engine | ratio (wall / cpu) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = r.times["bare rg"]
        cells = [r.name, f"{base.wall * 1000:.0f} ms"]
        for name in ("Grep (rg)" if "Grep (rg)" in r.times else "Glob", "Grep (python)"):
            t = r.times.get(name)
            if t is None:
                cells += ["-", "-"]
            else:
                cells += [f"{t.wall * 1000:.0f} ms", f"{t.wall / base.wall:.2f}x / {t.cpu / base.cpu:.2f}x"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median)")
    parser.add_argument("--files", type=int, default=50_000, help="searchable files in the tree")
    parser.add_argument("--skip-python", action="store_true", help="leave out the pure-Python engine")
    parser.add_argument("--only", default="", help="run only queries whose name contains this")
    parser.add_argument("--no-glob", action="store_true", help="leave out the Glob benchmark")
    args = parser.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        raise SystemExit("ripgrep (rg) is needed for the comparison")
    root = ensure_tree(args.files)
    workspace = Workspace(root)
    ctx = ToolContext(workspace=workspace, read_state=ReadState(), shell=ShellSession(workspace))
    loop = asyncio.new_event_loop()
    try:
        rows = run_grep(root, rg, ctx, loop, args)
        if not args.no_glob:
            rows += run_glob(root, rg, ctx, loop, args)
    finally:
        loop.close()
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
