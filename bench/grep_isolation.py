"""What running Grep's pure-Python engine in a child process costs per call, against the same search in a
thread (which a runaway regex would freeze the whole run with). Median of interleaved runs.

Run from the repository root:  .venv/bin/python bench/grep_isolation.py [--runs 15] [DIR ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from shopfloor.tools.grep_fallback import search_python
from shopfloor.tools.grep_search import SearchSpec
from shopfloor.tools.grep_worker import search_python_isolated


async def measure(root: Path, runs: int) -> tuple[float, float]:
    spec = SearchSpec(pattern="def ", root=root.resolve(), mode="files")
    thread, child = [], []
    for _ in range(runs):
        start = time.perf_counter()
        await asyncio.to_thread(search_python, spec)
        thread.append(time.perf_counter() - start)
        start = time.perf_counter()
        await search_python_isolated(spec)
        child.append(time.perf_counter() - start)
    return statistics.median(thread), statistics.median(child)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("dirs", nargs="*", default=["examples/taskboard", "src"])
    args = parser.parse_args()
    for d in args.dirs:
        thread, child = asyncio.run(measure(Path(d), args.runs))
        print(f"{d}: thread {thread * 1000:.0f} ms, child process {child * 1000:.0f} ms")


if __name__ == "__main__":
    main()
