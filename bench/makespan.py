"""Makespan of a task graph through `shopfloor run`, against the graph's critical path.

Each run is `python -m shopfloor run` in its own process, timed from before the process starts to its
exit (CLI start-up, worktrees, agents, gates, merges and the final delivery all included), on a small
project whose scripted agents take a fixed latency per model reply (see `realrun.py`). The critical path
is nominal: the longest chain of turns x latency, what a harness that cost nothing would reach.

Graphs: `dag` (20 tasks: fan-out, fan-in and a long chain, 2 to 6 turns a task, room for all at once),
or `chains` (`--tasks N` tasks in `--width` independent chains of 3-turn tasks, `--parallel` = width),
for scaling figures.

Run from the repository root:
    .venv/bin/python bench/makespan.py                          # the 20-task graph, 1000 ms a reply
    .venv/bin/python bench/makespan.py --graph chains --tasks 64 --width 4 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realrun import Graph, load_average, make_project, median_ms, reaction, read_events, run_cli

from shopfloor.queue.dag import critical_path

# Task -> (turns, dependencies). Fan-out, fan-in and one long chain, turns from 2 to 6.
DAG: dict[str, tuple[int, list[str]]] = {
    "TASK-001": (3, []),
    "TASK-002": (4, ["TASK-001"]),
    "TASK-003": (2, ["TASK-001"]),
    "TASK-004": (5, ["TASK-001"]),
    "TASK-005": (3, ["TASK-001"]),
    "TASK-006": (4, ["TASK-002", "TASK-003"]),
    "TASK-007": (6, ["TASK-003"]),
    "TASK-008": (2, ["TASK-004", "TASK-005"]),
    "TASK-009": (3, ["TASK-006"]),
    "TASK-010": (4, ["TASK-007", "TASK-008"]),
    "TASK-011": (5, []),
    "TASK-012": (2, ["TASK-011"]),
    "TASK-013": (3, ["TASK-009", "TASK-010"]),
    "TASK-014": (6, ["TASK-012"]),
    "TASK-015": (2, ["TASK-013"]),
    "TASK-016": (4, ["TASK-014", "TASK-015"]),
    "TASK-017": (3, ["TASK-005"]),
    "TASK-018": (5, ["TASK-017"]),
    "TASK-019": (3, ["TASK-016", "TASK-018"]),
    "TASK-020": (2, ["TASK-019"]),
}


def chains(tasks: int, width: int, turns: int = 3) -> dict[str, tuple[int, list[str]]]:
    """`tasks` tasks dealt round-robin into `width` chains: task i waits for task i - width."""
    ids = [f"TASK-{i:03d}" for i in range(1, tasks + 1)]
    return {tid: (turns, [ids[i - width]] if i >= width else []) for i, tid in enumerate(ids)}


def links(graph: Graph) -> list[tuple[str, str]]:
    """(task, dependent) pairs where the dependent waits for that task alone."""
    return [(deps[0], tid) for tid, (_, deps) in graph.items() if len(deps) == 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--graph", choices=("dag", "chains"), default="dag")
    parser.add_argument("--tasks", type=int, default=16, help="tasks of the chains graph")
    parser.add_argument("--width", type=int, default=4, help="independent chains of the chains graph")
    parser.add_argument("--parallel", type=int, default=0, help="agents at once (default: room for all)")
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="leave each run's project under this folder")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    graph: Graph = DAG if args.graph == "dag" else chains(args.tasks, args.width)
    parallel = args.parallel or (len(graph) if args.graph == "dag" else args.width)
    deps = {t: d for t, (_, d) in graph.items()}
    nominal, path = critical_path(deps, {t: n * latency for t, (n, _) in graph.items()})
    ratios, owns, sizes = [], [], []
    tmp = Path(tempfile.mkdtemp(prefix="shopfloor-makespan-"))
    try:
        for i in range(args.repeats):
            load = load_average()
            project = (args.keep or tmp) / f"run{i}"
            scripts = make_project(project, graph, latency)
            run = run_cli(project, scripts, parallel)
            if run.code != 0:
                raise SystemExit(f"shopfloor run failed ({run.code}):\n{run.output[-3000:]}")
            gaps = reaction(read_events(project), links(graph))
            own = [g.own for g in gaps]
            owns += own
            kept = project / ".orchestrator" / "worktrees"
            left = sorted(p.name for p in kept.iterdir()) if kept.is_dir() else []
            sizes.append(len(left))
            ratios.append(run.wall_s / nominal)
            print(
                f"run {i} (load {load}): makespan {run.wall_s:.2f} s = {run.wall_s / nominal:.3f}x the "
                f"critical path; marker -> next request, own time median {median_ms(own)}; "
                f"worktrees left {len(left)}",
                flush=True,
            )
            if args.keep is None:
                shutil.rmtree(project, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"machine: {os.cpu_count()} cores; graph {args.graph}, {len(graph)} tasks, "
        f"{sum(n for n, _ in graph.values())} turns, {args.latency_ms:.0f} ms per reply, "
        f"--parallel {parallel}"
    )
    shown = " -> ".join(path) if len(path) <= 10 else f"{path[0]} -> ... -> {path[-1]} ({len(path)} tasks)"
    print(f"critical path {nominal:.1f} s: {shown}")
    ratio = statistics.median(ratios)
    print(
        f"median makespan / critical path {ratio:.3f}x over {args.repeats} runs "
        f"({', '.join(f'{r:.3f}' for r in ratios)}); own time per link median {median_ms(owns)}"
    )
    print(f"target <= 1.15x: {'met' if ratio <= 1.15 else 'MISSED'}")


if __name__ == "__main__":
    main()
