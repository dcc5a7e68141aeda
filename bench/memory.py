"""Memory per agent of a real run: the PSS of `shopfloor run` and every process it starts.

`shopfloor run` works N independent tasks at once (`--parallel N`) on a small project, each a scripted
agent of `--turns` replies at `--latency-ms` each (see `realrun.py`), so all N are alive together; then
each task's gate and merge. While it runs, the whole process tree (shopfloor, its shells, git, rg, the
gate's checks and scanners) is sampled every 50 ms: the sum of each process's proportional set size
(PSS, from /proc/PID/smaps_rollup, so pages shared between processes are counted once). The same run
with one task gives the baseline; per agent = (peak with N - peak with 1) / (N - 1).

Run from the repository root:  .venv/bin/python bench/memory.py [--agents 32] [--turns 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realrun import load_average, make_project

MIB = 1024 * 1024


def children_of() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree(root: int) -> list[int]:
    kids = children_of()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Peak:
    total: int = 0
    main: int = 0
    """shopfloor's own process at the moment of the peak."""
    processes: int = 0
    most_processes: int = 0


def sample(pid: int, stop: threading.Event, peak: Peak) -> None:
    while not stop.is_set():
        pids = tree(pid)
        sizes = {p: pss(p) for p in pids}
        total = sum(sizes.values())
        peak.most_processes = max(peak.most_processes, len(pids))
        if total > peak.total:
            peak.total, peak.main, peak.processes = total, sizes.get(pid, 0), len(pids)
        stop.wait(0.05)


def measure(tmp: Path, agents: int, turns: int, latency_s: float) -> tuple[Peak, float]:
    graph = {f"TASK-{i:03d}": (turns, []) for i in range(1, agents + 1)}
    project = tmp / f"agents{agents}"
    scripts = make_project(project, graph, latency_s)
    argv = [sys.executable, "-m", "shopfloor", "run", "--model", f"scripted:{scripts}"]
    argv += ["--parallel", str(agents)]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, stop = Peak(), threading.Event()
    sampler = threading.Thread(target=sample, args=(proc.pid, stop, peak))
    sampler.start()
    out, _ = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"shopfloor run failed ({proc.returncode}):\n{out[-3000:]}")
    return peak, time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory(prefix="shopfloor-memory-") as tmp:
        load = load_average()
        one, one_s = measure(Path(tmp), 1, args.turns, latency)
        many, many_s = measure(Path(tmp), args.agents, args.turns, latency)
    print(
        f"machine: {os.cpu_count()} cores, load average {load}; {args.turns} turns a task at "
        f"{args.latency_ms:.0f} ms a reply"
    )
    for label, peak, took in (("1 agent", one, one_s), (f"{args.agents} agents", many, many_s)):
        print(
            f"{label:>10}: peak PSS {peak.total / MIB:.1f} MiB over {peak.processes} processes "
            f"(shopfloor itself {peak.main / MIB:.1f} MiB; at most {peak.most_processes} processes), "
            f"{took:.1f} s"
        )
    per_agent = (many.total - one.total) / max(args.agents - 1, 1)
    print(f"per agent: {per_agent / MIB:.2f} MiB (peak with {args.agents} minus peak with 1, shared out)")
    print(f"target < 30 MB per agent: {'met' if per_agent < 30e6 else 'MISSED'}")


if __name__ == "__main__":
    main()
