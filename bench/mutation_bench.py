"""Time of the gate's mutation check on the demo's tasks.

    .venv/bin/python bench/mutation_bench.py [--runs N] [--dir D] [--budget S]

Runs `shopfloor demo --dir D` once (the scripted agents write real code and tests into task worktrees,
and the gate judges each), then for each task reads the gate's last verdict from its worktree and runs
the mutation check again on that tree, alone, N times: median wall time, mutants made, killed,
survived, not run (budget), and the score. With `--dir` naming an existing demo run, the demo step is
skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shopfloor.gate.report import MutationReport
from shopfloor.gate.testproof import mutation_check
from shopfloor.gate.verdict import read_verdict, verdict_path


def run_demo(target: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shopfloor", "demo", "--dir", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SHOPFLOOR_RUN__KEEP_WORKTREES": "all"},  # the reruns need the task trees
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"the demo failed (exit {done.returncode})")
    return took


async def time_task(tree: Path, task_id: str, runs: int, budget: float) -> None:
    report = read_verdict(verdict_path(tree, task_id))
    if report is None or not report.base_ref:
        print(f"{task_id}: no gate verdict with a base in {tree}, skipped")
        return
    in_gate = report.mutation.duration_s if report.mutation else float("nan")
    times: list[float] = []
    last: MutationReport | None = None
    for _ in range(runs):
        start = time.perf_counter()
        last = await mutation_check(tree, report.base_ref, budget_s=budget)
        times.append(time.perf_counter() - start)
    assert last is not None
    ran = last.killed + last.survived
    score = "-" if last.score is None else f"{last.score:.2f}"
    print(
        f"{task_id:9} {statistics.median(times):6.1f}s  (in the demo's gate: {in_gate:5.1f}s)  "
        f"functions {len(last.functions):2}  mutants {ran + last.not_run:3}  killed {last.killed:3}  "
        f"survived {last.survived:2}  not run {last.not_run:2}  score {score}"
        + (f"  notes: {'; '.join(last.notes)}" if last.notes else "")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="an existing `shopfloor demo` directory")
    parser.add_argument("--budget", type=float, default=60.0, help="mutation_budget_s for the reruns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = args.dir or Path(tmp) / "demo"
        if args.dir is None or not (target / ".orchestrator").is_dir():
            print(f"demo run: {run_demo(target):.0f}s")
        worktrees = target / ".orchestrator" / "worktrees"
        print(f"mutation check per task, median of {args.runs} run(s), budget {args.budget:g}s:")
        for tree in sorted(p for p in worktrees.iterdir() if p.is_dir()):
            await time_task(tree, tree.name, args.runs, args.budget)


if __name__ == "__main__":
    asyncio.run(main())
