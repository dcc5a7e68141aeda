"""`shopfloor run --executor ray` end to end on a local Ray: the same merged result as the local executor,
a worker killed mid-attempt, one provider pause for every worker, the run's budget, a killed coordinator.

The CLI runs in a subprocess and joins the session's Ray with `--ray-address`; agents are scripted or served
by the fake provider over the real Anthropic SDK, and every git operation is real.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shopfloor.testing import FakeProvider, Fault, route_by_task
from tests.e2e.test_orchestrator_faults import (
    BUDGETED,
    MARKER,
    assert_the_budget_left_one_task_undone,
    attempts,
    bash_started,
    git,
    killed_mid_chain,
    make_project,
    metered_tasks,
    query,
    queue_status,
    scripts,
    start,
    status,
    tool,
    wait_until,
    write_turns,
)

NO_RAY = Path(__file__).parent / "no_ray"
# The tests signal a running agent through files in their own tmp_path, which the sandbox's private /tmp
# would hide from its commands.
UNSANDBOXED = "[sandbox]\nenabled = false\n"


def shopfloor(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def on_ray(address: str, *args: str) -> list[str]:
    return ["run", "--executor", "ray", "--ray-address", address, *args]


def merges(project: Path, task_id: str) -> int:
    return git(project, "log", "--format=%s", "main").count(f"Merge {task_id}:")


def events(project: Path, kind: str, task_id: str | None = None) -> list[dict[str, Any]]:
    rows = query(project, "SELECT task_id, payload FROM events WHERE kind = ? ORDER BY id", kind)
    return [json.loads(r["payload"]) for r in rows if task_id in (None, r["task_id"])]


def ray_attempts(project: Path, task_id: str) -> list[str]:
    """What each Ray worker said as it started one of the task's attempts."""
    return [n["message"] for n in events(project, "notice", task_id) if "runs on Ray node" in n["message"]]


def worker_pid(project: Path, task_id: str) -> int | None:
    said = ray_attempts(project, task_id)
    return int(said[0].rsplit("(pid ", 1)[1].rstrip(")")) if said else None


def test_the_queue_ends_in_the_same_merged_tree_as_with_the_local_executor(
    tmp_path: Path, ray_address: str
) -> None:
    tasks = [("TASK-001", []), ("TASK-002", []), ("TASK-003", ["TASK-001", "TASK-002"])]
    d = scripts(
        tmp_path,
        {
            "TASK-001": write_turns("a.py", "A = 1\n"),
            "TASK-002": write_turns("b.py", "B = 2\n"),
            "TASK-003": [tool("Read", file_path="{workdir}/a.py"), *write_turns("c.py", "from a import A\n")],
        },
    )
    (tmp_path / "local").mkdir()
    (tmp_path / "remote").mkdir()
    local = make_project(tmp_path / "local", tasks)
    remote = make_project(tmp_path / "remote", tasks)
    assert git(local, "rev-parse", "main^{tree}") == git(remote, "rev-parse", "main^{tree}")

    ran_here = shopfloor("run", "--model", f"scripted:{d}", "--parallel", "2", cwd=local)
    assert ran_here.returncode == 0, ran_here.stdout + ran_here.stderr
    ran_there = shopfloor(*on_ray(ray_address, "--model", f"scripted:{d}", "--parallel", "2"), cwd=remote)
    assert ran_there.returncode == 0, ran_there.stdout + ran_there.stderr

    assert git(remote, "rev-parse", "main^{tree}") == git(local, "rev-parse", "main^{tree}")
    assert git(remote, "status", "--porcelain") == ""
    for tid, _ in tasks:
        assert merges(remote, tid) == 1, tid
        assert attempts(remote, tid) == ["completed"]
        assert queue_status(remote, tid) == "completed"
        # The gate's verdict and the agent's marker come back to where a person looks for them.
        verdict = json.loads((remote / ".orchestrator" / "verdicts" / f"{tid}.json").read_text())
        assert verdict["verdict"] == "pass"
        assert verdict["tree_hash"] == git(remote, "rev-parse", f"shopfloor/{tid}^{{tree}}").strip()
        assert (remote / ".orchestrator" / "complete" / f"{tid}.done").read_text() == "done"
    # No worktree on the coordinator: each attempt ran in a Ray worker's own clone.
    assert not (remote / ".orchestrator" / "worktrees").exists()
    assert {t["status"] for t in status(remote)["tasks"]} == {"completed"}
    # The workers' events reached the run's store, and the transcript its usual place.
    assert len(events(remote, "gate_round")) == 3
    assert sum(e["usage"]["output_tokens"] for e in events(remote, "model_replied")) > 0
    logs = shopfloor("logs", "TASK-003", cwd=remote)
    assert logs.returncode == 0 and "c.py" in logs.stdout


def test_a_worker_killed_mid_attempt_is_a_lost_lease_and_its_task_merges_once(
    tmp_path: Path, ray_address: str
) -> None:
    project = make_project(tmp_path, [("TASK-001", []), ("TASK-002", [])], UNSANDBOXED)
    flag = tmp_path / "killed"
    d = scripts(
        tmp_path,
        {
            "TASK-001": [
                tool("Write", file_path="{workdir}/a.py", content="A = 1\n"),
                tool("Bash", command=f"test -e {flag} || sleep 20", timeout=60000),
                tool("Write", file_path=MARKER, content="done"),
                "Done.",
            ],
            "TASK-002": write_turns("b.py", "B = 2\n"),
        },
    )
    run = start(*on_ray(ray_address, "--model", f"scripted:{d}", "--parallel", "2"), cwd=project)
    try:
        wait_until(lambda: bash_started(project, "TASK-001", "sleep 20"), run, "TASK-001's slow step")
        pid = worker_pid(project, "TASK-001")
        assert pid is not None
        flag.touch()
        os.kill(pid, signal.SIGKILL)
        out, _ = run.communicate(timeout=180)
    finally:
        run.kill()
        run.wait()
    assert run.returncode == 0, out
    assert attempts(project, "TASK-001") == ["failed", "completed"]
    ended = events(project, "attempt_ended", "TASK-001")
    assert ended[0]["result"] == "crashed" and "lost lease" in ended[0]["reason"]
    assert worker_pid(project, "TASK-001") == pid  # the first notice; the second attempt ran elsewhere
    assert merges(project, "TASK-001") == merges(project, "TASK-002") == 1
    assert len(events(project, "task_merged", "TASK-001")) == 1
    assert (project / "a.py").read_text() == "A = 1\n" and (project / "b.py").read_text() == "B = 2\n"


def test_a_529_on_one_worker_holds_the_other_workers_calls(tmp_path: Path, ray_address: str) -> None:
    toml = "[models]\nretry_base_delay_s = 0.01\nretry_max_delay_s = 0.05\n"
    project = make_project(tmp_path, [("TASK-001", []), ("TASK-002", [])], toml)
    first, marker, end = write_turns("a.py", "A = 1\n")
    routes: dict[str, list[Any]] = {
        # Four seconds of pause: far longer than TASK-002 needs for its next call once it may go on.
        "TASK-001": [first, Fault.overloaded(retry_after="4"), marker, end],
        "TASK-002": [tool("Bash", command="true"), *write_turns("b.py", "B = 2\n")],
    }
    inner = route_by_task(routes)
    asked: dict[str, int] = {}

    def responder(request: Any) -> Any:
        # TASK-002's second answer waits until the run has recorded TASK-001's 529, so its third call is
        # made while the pause TASK-001's worker posted still holds.
        asked[request.task_id] = asked.get(request.task_id, 0) + 1
        if request.task_id == "TASK-002" and asked["TASK-002"] == 2:
            for _ in range(1200):
                if events(project, "throttle"):
                    break
                time.sleep(0.05)
        return inner(request)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    with FakeProvider(responder=responder) as fake:
        env.update(fake.env())
        proc = subprocess.run(
            [sys.executable, "-m", "shopfloor",
             *on_ray(ray_address, "--model", "anthropic:claude-sonnet-4-5", "--parallel", "2")],
            cwd=project, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert not fake.responder_errors
    assert proc.returncode == 0, proc.stdout + proc.stderr
    throttles = events(project, "throttle")
    assert [t["status"] for t in throttles] == [529]
    # TASK-002 never saw a 529 itself, yet its worker waited for the pause TASK-001's worker posted.
    held = [n["message"] for n in events(project, "notice", "TASK-002") if "shared pause" in n["message"]]
    assert held, events(project, "notice", "TASK-002")
    assert {t["status"] for t in status(project)["tasks"]} == {"completed"}


def test_the_run_budget_holds_across_workers(tmp_path: Path, ray_address: str) -> None:
    project, d = metered_tasks(tmp_path)  # three workers are free; the budget lets two tasks run
    proc = shopfloor(*on_ray(ray_address, "--model", f"scripted:{d}", *BUDGETED), cwd=project)
    assert_the_budget_left_one_task_undone(proc, project)


def test_a_coordinator_killed_mid_run_resumes_and_merges_each_task_once(
    tmp_path: Path, ray_address: str
) -> None:
    # A worker's clone goes with its attempt: TASK-002's agent marks its one sleep in tmp_path instead.
    project, _ = killed_mid_chain(tmp_path, on_ray(ray_address), str(tmp_path / "slept"), UNSANDBOXED)
    assert "Merge TASK-001" in git(project, "log", "--format=%s", "shopfloor/integration/main")

    proc = shopfloor("resume", cwd=project)  # with the run's options: the same executor and cluster
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("a.py", "b.py", "c.py"):
        assert (project / name).is_file(), name
    assert [merges(project, tid) for tid in ("TASK-001", "TASK-002", "TASK-003")] == [1, 1, 1]
    assert attempts(project, "TASK-001") == ["completed"]  # merged before the kill: not run again
    assert attempts(project, "TASK-002") == ["interrupted", "completed"]
    assert [r["status"] for r in query(project, "SELECT status FROM runs")] == ["completed"]
    # The resume went on on Ray, as the killed run did: every attempt ran on a worker, none here.
    assert [len(ray_attempts(project, tid)) for tid in ("TASK-001", "TASK-002", "TASK-003")] == [1, 2, 1]
    assert not (project / ".orchestrator" / "worktrees").exists()


def test_without_ray_the_ray_executor_says_how_to_install_it(tmp_path: Path) -> None:
    project = make_project(tmp_path, [("TASK-001", [])])
    d = scripts(tmp_path, {"TASK-001": write_turns("a.py", "A = 1\n")})  # Ray is all that is missing
    env = {"PYTHONPATH": os.pathsep.join([str(NO_RAY), os.environ.get("PYTHONPATH", "")])}
    proc = shopfloor("run", "--executor", "ray", "--model", f"scripted:{d}", cwd=project, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "shopfloor: --executor ray needs Ray, an optional extra: pip install 'shopfloor[ray]'"
    ]
    assert not (project / ".orchestrator" / "state.db").exists()
    wrong = shopfloor("run", "--ray-address", "10.0.0.1:6379", cwd=project, env=env)
    assert wrong.returncode == 2 and "--ray-address goes with --executor ray" in wrong.stderr
    shutil.rmtree(project / ".orchestrator" / "worktrees", ignore_errors=True)


def test_a_merge_conflict_goes_to_a_fresh_session_on_a_worker_and_both_tasks_land(
    tmp_path: Path, ray_address: str
) -> None:
    project = make_project(tmp_path, [("TASK-001", []), ("TASK-002", [])])

    def edit(word: str) -> list[Any]:  # played again from the top by the session after a conflict
        return [
            tool("Read", file_path="{workdir}/shared.txt"),
            tool("Write", file_path="{workdir}/shared.txt", content=f"{word}\n"),
            tool("Write", file_path=MARKER, content="done"),
            "Done.",
        ]

    d = scripts(tmp_path, {"TASK-001": edit("one"), "TASK-002": edit("two")})
    proc = shopfloor(*on_ray(ray_address, "--model", f"scripted:{d}", "--parallel", "2"), cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (conflict,) = query(project, "SELECT task_id FROM events WHERE kind = 'merge_conflict'")
    second = conflict["task_id"]
    # The second task's worker started the merge, its agent resolved the file, shopfloor committed it.
    assert (project / "shared.txt").read_text() == ("one\n" if second == "TASK-001" else "two\n")
    assert merges(project, "TASK-001") == merges(project, "TASK-002") == 1
    assert attempts(project, second) == ["completed"]
    parents = git(project, "log", "-1", "--format=%P", f"shopfloor/{second}").split()
    assert len(parents) == 2  # the merge of the integration branch, committed on the task's branch
    assert git(project, "status", "--porcelain") == ""


def test_the_project_s_approved_mcp_servers_and_hooks_work_on_workers(
    tmp_path: Path, ray_address: str
) -> None:
    # Approved on the coordinator's machine, for the user's checkout: a worker's clone is somewhere else
    # (another machine, even), and runs the same approved set, its MCP servers started for the attempt.
    project = make_project(tmp_path, [("TASK-001", [])], UNSANDBOXED)
    server = Path(__file__).parents[1] / "mcp" / "notes_server.py"
    mcp = {"mcpServers": {"notes": {"command": sys.executable, "args": [str(server)]}}}
    (project / ".mcp.json").write_text(json.dumps(mcp))
    hook = {"type": "command", "command": 'echo "$SHOPFLOOR_TASK_ID" >> "$CLAUDE_PROJECT_DIR/hooked.txt"'}
    settings = {"hooks": {"PostToolUse": [{"matcher": "mcp__notes__.*", "hooks": [hook]}]}}
    (project / ".claude" / "agents").mkdir(parents=True)
    (project / ".claude" / "settings.json").write_text(json.dumps(settings))
    (project / ".claude" / "agents" / "backend-agent.md").write_text(
        "---\nname: backend-agent\ndescription: Backend work.\ntools: Read, Write, Bash, mcp__notes\n---\n"
        "Do the task, then write the marker.\n"
    )
    git(project, "add", "-A", "--force")  # the task queue too: a project may track its harness folder
    git(project, "commit", "-q", "-m", "mcp server, a hook and an agent that may use the server")
    config = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert shopfloor("hooks", "approve", cwd=project, env=config).returncode == 0
    d = scripts(
        tmp_path,
        {
            "TASK-001": [
                tool("mcp__notes__add_note", text="kept on the worker"),
                tool("Bash", command="cat hooked.txt > seen.txt"),
                *write_turns("a.py", "A = 1\n"),
            ]
        },
    )
    ran = shopfloor(*on_ray(ray_address, "--model", f"scripted:{d}"), cwd=project, env=config)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ray_attempts(project, "TASK-001")
    logs = shopfloor("logs", "TASK-001", cwd=project, env=config).stdout
    assert "noted (1 notes)" in logs, logs
    assert git(project, "show", "main:seen.txt").strip() == "TASK-001"  # the hook ran in the worker's clone
