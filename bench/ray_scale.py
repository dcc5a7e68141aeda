"""The whole run (`run_project`: branches, agents, gate, merge queue, store) on the local executor and on
a local Ray with several worker processes, on 64 and 256 tasks.

Each task is a real agent served over the Anthropic wire by the fake provider, which takes a fixed latency
to answer every call (three calls a task: write a file, write the marker, say done). The queue is `--width`
independent chains, so the critical path is (tasks / width) tasks long. Reported: the makespan (the run's
wall time, Ray already started), against the local executor and against the critical path (nominal:
turns x latency per task; measured: each task's own wall time in that run), the figure per added Ray
worker, and what shipping one task's git bundles costs (snapshot out, commits back).

Run from the repository root:
    .venv/bin/python bench/ray_scale.py                    # --tasks 64 256 --workers 1 2 4 --latency-ms 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio

from shopfloor.config.settings import load_settings
from shopfloor.orchestrator.bundles import clone_bundle, fetch_bundle, make_bundle
from shopfloor.orchestrator.pipeline import run_project
from shopfloor.orchestrator.run_options import RunOptions
from shopfloor.orchestrator.store import Store
from shopfloor.queue.dag import critical_path
from shopfloor.testing import FakeProvider
from shopfloor.vcs import git, rev_parse

TURNS = 3
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"


def git_cmd(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def task_block(tid: str, deps: list[str]) -> str:
    return (
        f"### {tid}\n| Field | Value |\n|-------|-------|\n| Status | pending |\n"
        f"| Category | backend |\n| Complexity | normal |\n\n**Objective:** Write {tid}.txt.\n\n"
        f"**Acceptance Criteria:**\n- {tid}.txt exists\n\n**Dependencies:** {', '.join(deps) or 'None'}\n"
    )


def graph(tasks: int, width: int) -> dict[str, list[str]]:
    ids = [f"TASK-{i:03d}" for i in range(1, tasks + 1)]
    return {tid: [ids[i - width]] if i >= width else [] for i, tid in enumerate(ids)}


def make_project(root: Path, dag: dict[str, list[str]]) -> Path:
    root.mkdir(parents=True)
    (root / "README.md").write_text("bench\n")
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    git_cmd(root, "init", "-q", "-b", "main")
    git_cmd(root, "config", "user.name", "Bench")
    git_cmd(root, "config", "user.email", "bench@example.invalid")
    git_cmd(root, "add", "-A")
    git_cmd(root, "commit", "-q", "-m", "init")
    queue = "# Tasks\n\n" + "\n".join(task_block(t, d) for t, d in dag.items())
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(queue)
    return root


def slow_responder(latency_s: float) -> Any:
    """Each task's three turns, each answered after `latency_s`, as a provider would."""
    turns = [
        {
            "tool_calls": [
                {"tool": "Write", "input": {"file_path": "{workdir}/{task_id}.txt", "content": "x\n"}}
            ]
        },
        {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]},
        "Done.",
    ]
    asked: dict[str, int] = {}
    lock = threading.Lock()

    def respond(request: Any) -> Any:
        key = f"{request.variables.get('workdir')}:{request.task_id}"  # one session's turns
        with lock:
            n = asked.get(key, 0)
            asked[key] = n + 1
        time.sleep(latency_s)
        return turns[min(n, len(turns) - 1)]

    return respond


def run_once(
    tmp: Path, label: str, dag: dict[str, list[str]], executor: str, parallel: int
) -> dict[str, Any]:
    project = make_project(tmp / label, dag)
    settings = load_settings(project, overrides={"run": {"parallel": parallel}})
    options = RunOptions(model="anthropic:claude-sonnet-4-5", executor=executor)  # type: ignore[arg-type]
    t0 = time.monotonic()
    report = anyio.run(run_project, project, settings, options, [])
    makespan = time.monotonic() - t0
    bad = {t: o.reason for t, o in report.outcomes.items() if o.verdict != "completed"}
    assert not bad, list(bad.items())[:3]
    with Store.for_project(project) as store:
        took = {t.task_id: (t.finished or 0) - (t.started or 0) for t in store.tasks(report.run_id)}
    return {"makespan": makespan, "took": took}


def bundle_costs(tmp: Path, samples: int = 20) -> dict[str, float]:
    """One task's shipping, timed piece by piece on a project with some history: the snapshot bundle, the
    worker's clone of it, the returned bundle of one new commit, and the coordinator's fetch of it."""
    project = make_project(tmp / "bundles", {})
    for i in range(50):
        (project / f"f{i}.py").write_text(f"X = {i}\n" * 40)
        git_cmd(project, "add", "-A")
        git_cmd(project, "commit", "-q", "-m", f"c{i}")
    git_cmd(project, "branch", "shopfloor/integration/main")
    times: dict[str, list[float]] = {"snapshot": [], "clone": [], "return": [], "fetch": []}
    size = 0
    for i in range(samples):
        branch = f"shopfloor/T{i}"
        git_cmd(project, "branch", branch)
        start = rev_parse(project, branch)
        t0 = time.perf_counter()
        snapshot = make_bundle(project, [branch, "shopfloor/integration/main"])
        t1 = time.perf_counter()
        assert snapshot is not None
        size = len(snapshot)
        clone = clone_bundle(snapshot, tmp / f"clone{i}", branch, ("Bench", "bench@example.invalid"))
        t2 = time.perf_counter()
        (clone / f"t{i}.txt").write_text("x\n")
        git(clone, "add", "-A")
        git(clone, "commit", "-q", "-m", "work")
        t3 = time.perf_counter()
        back = make_bundle(clone, [branch], exclude=[start])
        t4 = time.perf_counter()
        assert back is not None
        fetch_bundle(project, back, [f"+refs/heads/{branch}:refs/shopfloor-incoming/T{i}"])
        t5 = time.perf_counter()
        for key, value in zip(times, (t1 - t0, t2 - t1, t4 - t3, t5 - t4), strict=True):
            times[key].append(value)
    medians = {k: statistics.median(v) for k, v in times.items()}
    medians["snapshot_kib"] = size / 1024
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--width", type=int, default=16, help="independent chains in the queue")
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    parser.add_argument("--parallel", type=int, default=16, help="attempts at once (both executors)")
    args = parser.parse_args()
    import ray

    latency = args.latency_ms / 1000
    print(
        f"machine: {os.cpu_count()} cores; {TURNS} turns a task at {args.latency_ms:.0f} ms each; "
        f"{args.width} chains; up to {args.parallel} attempts at once"
    )
    with (
        tempfile.TemporaryDirectory(prefix="ray-scale-") as tmp_name,
        FakeProvider(responder=slow_responder(latency)) as fake,
    ):
        tmp = Path(tmp_name)
        os.environ.update(fake.env())
        costs = bundle_costs(tmp)
        print(
            f"bundles per task (median of 20, 51-commit project, snapshot {costs['snapshot_kib']:.0f} KiB): "
            f"snapshot {costs['snapshot'] * 1000:.1f} ms, worker clone {costs['clone'] * 1000:.1f} ms, "
            f"return bundle {costs['return'] * 1000:.1f} ms, fetch {costs['fetch'] * 1000:.1f} ms"
        )
        for n in args.tasks:
            dag = graph(n, args.width)
            nominal, _ = critical_path(dag, {t: TURNS * latency for t in dag})
            run_once(tmp, f"warm-local-{n}", graph(args.width, args.width), "local", args.parallel)
            local = run_once(tmp, f"local-{n}", dag, "local", args.parallel)
            measured, _ = critical_path(dag, local["took"])
            print(
                f"{n} tasks: critical path {nominal:.1f} s nominal; local executor makespan "
                f"{local['makespan']:.1f} s ({local['makespan'] / nominal:.2f}x nominal, "
                f"{local['makespan'] / measured:.2f}x its measured path {measured:.1f} s)"
            )
            for k in args.workers:
                ray.init(num_cpus=k, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
                try:
                    run_once(tmp, f"warm-ray{k}-{n}", graph(args.width, args.width), "ray", args.parallel)
                    got = run_once(tmp, f"ray{k}-{n}", dag, "ray", args.parallel)
                finally:
                    ray.shutdown()
                measured, _ = critical_path(dag, got["took"])
                print(
                    f"  ray, {k} worker(s): makespan {got['makespan']:.1f} s = "
                    f"{got['makespan'] / local['makespan']:.2f}x local, {got['makespan'] / nominal:.2f}x "
                    f"nominal path, {got['makespan'] / measured:.2f}x its measured path ({measured:.1f} s); "
                    f"median task {statistics.median(got['took'].values()):.2f} s (local "
                    f"{statistics.median(local['took'].values()):.2f} s)"
                )


if __name__ == "__main__":
    main()
