"""Reaction time on the real path: from one task's marker to the next task's first model request.

A chain of tasks (each depends on the one before) runs through `shopfloor run` in its own process, with
the `scripted:DIR` model at a set latency per reply: real worktrees, commits, the gate (the project's one
check is `true`; the security checklist, tamper guard and test proof as configured), the merge queue,
the next task's worktree and agent. For every link of the chain, the gap runs from the marker Write's
answer in the first task to the second task's first `model_called` event, both read back from the run's
state store. shopfloor's own time is that gap minus the model's replies in between (the closing turn)
and the project's own check commands. Several runs; the median is over every link of every run.

Run from the repository root:  .venv/bin/python bench/reaction.py [--tasks 12] [--runs 3] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realrun import Gap, chain, load_average, make_project, median_ms, reaction, read_events, run_cli


def one_run(tmp: Path, n: int, tasks: int, latency_s: float) -> list[Gap]:
    graph = chain(tasks)
    project = tmp / f"run{n}"
    scripts = make_project(project, graph, latency_s)
    run = run_cli(project, scripts, parallel=2)
    if run.code != 0:
        raise SystemExit(f"shopfloor run failed ({run.code}):\n{run.output[-3000:]}")
    return reaction(read_events(project), list(itertools.pairwise(graph)))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=12, help="tasks in the chain (links = tasks - 1)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the model's time per reply")
    args = parser.parse_args()
    gaps: list[Gap] = []
    loads = []
    with tempfile.TemporaryDirectory(prefix="shopfloor-reaction-") as tmp:
        for n in range(args.runs):
            loads.append(load_average())
            found = one_run(Path(tmp), n, args.tasks, args.latency_ms / 1000)
            own = [g.own for g in found]
            print(
                f"run {n}: own time median {median_ms(own)}, max {median_ms([max(own)])} ({len(own)} links)"
            )
            gaps += found
    own = [g.own for g in gaps]
    print(
        f"machine: {os.cpu_count()} cores, load average {', '.join(loads)}; {args.runs} runs of a "
        f"{args.tasks}-task chain, {args.latency_ms:.0f} ms per model reply"
    )
    print(
        f"marker -> next task's first model request, shopfloor's own time: median {median_ms(own)}, "
        f"p90 {median_ms([pct(own, 0.9)])} (n={len(own)}); "
        f"whole gap median {median_ms([g.total for g in gaps])}"
    )
    print("median time from the marker to each step (the task that finished, then the next one):")
    names: dict[str, list[float]] = {}
    for g in gaps:
        for name, at in g.phases.items():
            key = name.replace(g.before, "done:").replace(g.after, "next:")
            names.setdefault(key, []).append(at)
    for key, values in sorted(names.items(), key=lambda kv: statistics.median(kv[1])):
        print(f"  {key:<24} {median_ms(values):>8}")
    verdict = "met" if statistics.median(own) < 0.1 else "MISSED"
    print(f"target median < 100 ms: {verdict}")


if __name__ == "__main__":
    main()
