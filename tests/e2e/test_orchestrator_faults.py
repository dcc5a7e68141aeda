"""`shopfloor run` under failure: merge conflict, 529 storm, SIGKILL and resume, silent agent, budget, abort.

Every test drives the CLI in a subprocess on a real git repository; agents are scripted (one
DIR/<TASK-ID>.yaml per task) or served by the fake provider over the real Anthropic SDK.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopfloor.orchestrator.pidfile import live_run_pid
from shopfloor.testing import FakeProvider, Fault, route_by_task

MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
GATE = '[gate]\ncommands = ["python3 -c \\"import sys\\""]\n'


def task_block(tid: str, objective: str, deps: list[str]) -> str:
    return (
        f"### {tid}\n| Field | Value |\n|-------|-------|\n| Status | pending |\n"
        f"| Category | backend |\n| Complexity | normal |\n\n**Objective:** {objective}\n\n"
        f"**Acceptance Criteria:**\n- {objective}\n\n**Dependencies:** {', '.join(deps) or 'None'}\n"
    )


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout


def make_project(tmp_path: Path, tasks: list[tuple[str, list[str]]], toml: str = "") -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("sample\n")
    (root / "shared.txt").write_text("base\n")
    (root / "shopfloor.toml").write_text(GATE + toml)
    git(root, "init", "-q", "-b", "main")
    # Agents commit by themselves when resolving conflicts; the worktrees share this identity.
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    blocks = [task_block(tid, f"Do {tid}.", deps) for tid, deps in tasks]
    (root / ".orchestrator" / "task_queue.md").write_text("# Tasks\n\n" + "\n".join(blocks))
    return root


def chain(*ids: str) -> list[tuple[str, list[str]]]:
    return [(tid, [ids[i - 1]] if i else []) for i, tid in enumerate(ids)]


def tool(name: str, **args: Any) -> dict[str, Any]:
    return {"tool_calls": [{"tool": name, "input": args}]}


def write_turns(path: str, content: str) -> list[Any]:
    return [
        tool("Write", file_path=f"{{workdir}}/{path}", content=content),
        tool("Write", file_path=MARKER, content="done"),
        "Done.",
    ]


def scripts(tmp_path: Path, per_task: Mapping[str, Any]) -> Path:
    d = tmp_path / "scripts"
    d.mkdir(exist_ok=True)
    for tid, script in per_task.items():
        (d / f"{tid}.yaml").write_text(yaml.safe_dump(script))
    return d


def shopfloor(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def query(project: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    db = project / ".orchestrator" / "state.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the run has not created its tables yet
        return []
    finally:
        conn.close()


def wait_until(check: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    """Poll `check` while the run goes on; fail with the run's output if it never holds."""
    for _ in range(600):
        if check():
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}")


def bash_started(project: Path, task_id: str, needle: str) -> bool:
    rows = query(project, "SELECT payload FROM events WHERE kind = 'tool_called' AND task_id = ?", task_id)
    return any(needle in json.loads(r["payload"])["input"].get("command", "") for r in rows)


def status(project: Path) -> dict[str, Any]:
    proc = shopfloor("status", "--json", cwd=project)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def queue_status(project: Path, task_id: str) -> str:
    text = (project / ".orchestrator" / "task_queue.md").read_text()
    block = text.split(f"### {task_id}\n", 1)[1]
    return block.split("| Status | ", 1)[1].split(" ", 1)[0]


def attempts(project: Path, task_id: str) -> list[str | None]:
    rows = query(project, "SELECT outcome FROM attempts WHERE task_id = ? ORDER BY n", task_id)
    return [r["outcome"] for r in rows]


def conflict_script(word: str) -> list[Any]:
    """Change shared.txt, finish; then (if handed a conflict, with the merge started by shopfloor) edit
    the conflict markers away and finish again: git itself is read-only for the agent."""
    return [
        tool("Read", file_path="{workdir}/shared.txt"),
        tool("Write", file_path="{workdir}/shared.txt", content=f"{word}\n"),
        tool("Write", file_path=MARKER, content="done"),
        "Done.",
        tool("Bash", command="git status --short && git diff"),
        tool("Read", file_path="{workdir}/shared.txt"),
        tool("Write", file_path="{workdir}/shared.txt", content="one\ntwo\n"),
        tool("Write", file_path=MARKER, content="resolved"),
        "Resolved the conflict.",
    ]


def test_a_merge_conflict_goes_back_to_its_agent_and_both_changes_land(tmp_path: Path) -> None:
    project = make_project(tmp_path, [("TASK-001", []), ("TASK-002", [])])
    d = scripts(tmp_path, {"TASK-001": conflict_script("one"), "TASK-002": conflict_script("two")})
    proc = shopfloor("run", "--model", f"scripted:{d}", "--parallel", "2", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "shared.txt").read_text() == "one\ntwo\n"
    assert git(project, "status", "--porcelain") == ""
    assert not (project / ".git" / "MERGE_HEAD").exists()
    log = git(project, "log", "--format=%s", "main")
    assert "Merge TASK-001" in log and "Merge TASK-002" in log
    # Exactly one of the two was handed a conflict: the one that merged second.
    conflicts = query(project, "SELECT task_id FROM events WHERE kind = 'merge_conflict'")
    assert len(conflicts) == 1
    assert {t["status"] for t in status(project)["tasks"]} == {"completed"}
    assert queue_status(project, "TASK-001") == queue_status(project, "TASK-002") == "completed"


def test_a_529_storm_slows_the_run_but_fails_no_task(tmp_path: Path) -> None:
    # One retry per call: three 529s in a row outlast a call's retries, so the session must go on.
    toml = "[models]\nmax_retries = 1\nretry_base_delay_s = 0.01\nretry_max_delay_s = 0.05\n"
    stormy = ("TASK-001", "TASK-002", "TASK-003")
    ids = (*stormy, "TASK-004")
    project = make_project(tmp_path, [(tid, []) for tid in ids], toml)
    storm = [Fault.overloaded(), Fault.overloaded(), Fault.overloaded()]
    routes: dict[str, list[Any]] = {}
    for n, tid in enumerate(ids, 1):
        first, marker, end = write_turns(f"m{n}.py", f"M = {n}\n")
        weather = storm if tid in stormy else []
        routes[tid] = [first, *weather, tool("Bash", command="python3 -c 'print(1)'"), marker, end]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    with FakeProvider(responder=route_by_task(routes)) as fake:
        env.update(fake.env())
        proc = shopfloor(
            "run", "--model", "anthropic:claude-sonnet-4-5", "--parallel", "3", cwd=project, env=env
        )
        calls = len(fake.calls)
        assert not fake.responder_errors
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls == 3 * (4 + 3) + 4  # four turns per task, each injected 529 answered and retried once
    for n in (1, 2, 3, 4):
        assert (project / f"m{n}.py").read_text() == f"M = {n}\n"
    tasks = {t["task_id"]: t for t in status(project)["tasks"]}
    assert all(t["status"] == "completed" and t["attempts"] == 1 for t in tasks.values())
    throttles = [
        json.loads(r["payload"]) for r in query(project, "SELECT payload FROM events WHERE kind = 'throttle'")
    ]
    assert len(throttles) >= len(stormy)  # each task's storm paused the provider for every agent
    assert {t["status"] for t in throttles} == {529}
    assert min(t["concurrency"] for t in throttles) == 1  # the run stepped down to one agent at a time
    # ... and the scheduler kept to it: the fourth task waited until no other agent was at work.
    [(started,)] = query(
        project, "SELECT ts FROM events WHERE kind = 'task_started' AND task_id = 'TASK-004'"
    )
    ended = query(project, "SELECT MAX(finished) FROM tasks WHERE task_id IN (?, ?, ?)", *stormy)[0][0]
    assert started >= ended


def killed_mid_chain(tmp_path: Path, run: list[str], slept: str, toml: str = "") -> tuple[Path, Path]:
    """The chain TASK-001 → TASK-002 → TASK-003 started with `shopfloor *run --model …` and killed
    (SIGKILL) while TASK-002's agent sleeps; returns the project and the agents' scripts, to resume with.

    TASK-002's script is valid to play again from the top: its write is idempotent, and it sleeps only
    until it has made the file `slept` (a path as its shell sees it)."""
    project = make_project(tmp_path, chain("TASK-001", "TASK-002", "TASK-003"), toml)
    d = scripts(
        tmp_path,
        {
            "TASK-001": write_turns("a.py", "A = 1\n"),
            "TASK-002": [
                tool("Bash", command="echo 'B = 2' > b.py"),
                tool("Bash", command=f"test -f {slept} || {{ touch {slept}; sleep 8; }}", timeout=60000),
                tool("Write", file_path=MARKER, content="done"),
                "Done.",
            ],
            "TASK-003": write_turns("c.py", "C = 3\n"),
        },
    )
    proc = start(*run, "--model", f"scripted:{d}", cwd=project)
    try:
        wait_until(lambda: bash_started(project, "TASK-002", "sleep 8"), proc, "TASK-002's slow step")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    return project, d


def test_sigkill_mid_run_then_resume_redoes_nothing_merged(tmp_path: Path) -> None:
    project, d = killed_mid_chain(tmp_path, ["run"], ".orchestrator/slept")
    # TASK-001 is merged into the run's integration branch; the user's branch gets it when the run ends.
    assert "Merge TASK-001" in git(project, "log", "--format=%s", "shopfloor/integration/main")
    assert "Merge TASK-001" not in git(project, "log", "--format=%s", "main")
    worktree = project / ".orchestrator" / "worktrees" / "TASK-002"
    assert (worktree / "b.py").is_file() and "b.py" in git(worktree, "status", "--porcelain")
    # What a kill in the middle of a git command in the worktree leaves behind.
    Path(git(worktree, "rev-parse", "--absolute-git-dir").strip(), "index.lock").touch()

    proc = shopfloor("resume", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("a.py", "b.py", "c.py"):
        assert (project / name).is_file(), name
    assert git(project, "log", "--format=%s", "main").count("Merge TASK-001") == 1
    runs = query(project, "SELECT id, status FROM runs")
    assert [r["status"] for r in runs] == ["completed"]  # the resume took the killed run over
    # TASK-001's agent ran once: one attempt, one session in its transcript.
    assert attempts(project, "TASK-001") == ["completed"]
    transcript = project / ".orchestrator" / "runs" / f"run-{runs[0]['id']}" / "TASK-001.jsonl"
    assert transcript.read_text().count('"kind": "run_started"') == 1
    # TASK-002 went on in its kept worktree: the killed attempt's work was committed there first. Once
    # merged, the worktree is removed and its branch keeps the history.
    assert attempts(project, "TASK-002") == ["interrupted", "completed"]
    assert "TASK-002: work left by an interrupted run" in git(
        project, "log", "--format=%s", "shopfloor/TASK-002"
    )
    assert not worktree.exists()
    assert {t["status"] for t in status(project)["tasks"]} == {"completed"}


def test_an_agent_silent_past_its_lease_is_retried_in_its_kept_worktree(tmp_path: Path) -> None:
    project = make_project(tmp_path, [("TASK-001", [])], "[run]\nlease_s = 2\n")
    hang = "test -f .orchestrator/complete/retry || { touch .orchestrator/complete/retry; sleep 60; }"
    d = scripts(
        tmp_path,
        {"TASK-001": [tool("Bash", command=hang, timeout=120000), *write_turns("a.py", "A = 1\n")]},
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "a.py").read_text() == "A = 1\n"
    assert attempts(project, "TASK-001") == ["failed", "completed"]
    expired = query(project, "SELECT payload FROM events WHERE kind = 'lease_expired'")
    assert [json.loads(r["payload"])["attempt"] for r in expired] == [1]
    (task,) = status(project)["tasks"]
    assert task["attempts"] == 2 and task["status"] == "completed"


BUDGETED = ("--parallel", "3", "--budget-usd", "0.1", "--task-budget-usd", "0.06")
"""Three agents may run at once, but $0.10 covers a second $0.06 reservation only once the first task
has spent its $0.03 and handed back the rest; a third would then need $0.06 of the $0.04 left."""


def metered_tasks(tmp_path: Path) -> tuple[Path, Path]:
    """A project of three tasks and their scripted agents (returned in that order), each priced at $0.03:
    four turns of 7500 input tokens at $1 per million."""
    toml = (
        '[models.aliases]\nmetered = "claude-metered-test"\n'
        "[models.prices.claude-metered-test]\ninput = 1.0\noutput = 1.0\n"
    )
    ids = ("TASK-001", "TASK-002", "TASK-003")
    project = make_project(tmp_path, [(tid, []) for tid in ids], toml)
    usage = {"input_tokens": 7500, "output_tokens": 0}
    turns = [
        {**tool("Write", file_path="{workdir}/{task_id}.txt", content="x\n"), "usage": usage},
        {**tool("Bash", command="true"), "usage": usage},
        {**tool("Write", file_path=MARKER, content="done"), "usage": usage},
        {"text": "Done.", "usage": usage},
    ]
    return project, scripts(tmp_path, {tid: {"priced_as": "metered", "turns": turns} for tid in ids})


def assert_the_budget_left_one_task_undone(proc: subprocess.CompletedProcess[str], project: Path) -> None:
    """What a run of `metered_tasks` with `BUDGETED` ends in: two tasks done, one never started."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    queue = {tid: queue_status(project, tid) for tid in ("TASK-001", "TASK-002", "TASK-003")}
    assert sorted(queue.values()) == ["completed", "completed", "pending"]
    (undone,) = [tid for tid, s in queue.items() if s == "pending"]
    assert f"left undone: {undone}" in proc.stdout
    assert not (project / f"{undone}.txt").exists()
    tasks = {t["task_id"]: t for t in status(project)["tasks"]}
    assert tasks[undone]["attempts"] == 0
    assert sum(t["cost_usd"] for t in tasks.values()) == pytest.approx(0.06)


def test_a_run_budget_starts_only_what_it_can_cover_and_reports_the_rest(tmp_path: Path) -> None:
    project, d = metered_tasks(tmp_path)
    proc = shopfloor("run", "--model", f"scripted:{d}", *BUDGETED, cwd=project)
    assert_the_budget_left_one_task_undone(proc, project)


def test_abort_stops_the_run_keeps_the_worktree_and_puts_the_task_back(tmp_path: Path) -> None:
    project = make_project(tmp_path, [("TASK-001", [])])
    d = scripts(
        tmp_path,
        {
            "TASK-001": [
                tool("Write", file_path="{workdir}/a.py", content="A = 1\n"),
                tool("Bash", command="sleep 60", timeout=120000),
                *write_turns("b.py", "B = 1\n"),
            ]
        },
    )
    run = start("run", "--model", f"scripted:{d}", cwd=project)
    try:
        wait_until(lambda: bash_started(project, "TASK-001", "sleep 60"), run, "the slow step")
        second = shopfloor("resume", "--model", f"scripted:{d}", cwd=project)
        assert second.returncode == 2 and f"pid {run.pid}" in second.stderr  # one run at a time
        aborted = shopfloor("abort", cwd=project)
        assert aborted.returncode == 0, aborted.stderr
        code = run.wait(timeout=30)  # far sooner than the agent's sleep would end
    finally:
        run.kill()
        run.wait()
    assert code == 1
    data = status(project)
    assert data["run"]["status"] == "aborted"
    assert data["tasks"][0]["status"] == "pending"
    assert queue_status(project, "TASK-001") == "pending"
    assert attempts(project, "TASK-001") == ["interrupted"]
    worktree = project / ".orchestrator" / "worktrees" / "TASK-001"
    assert (worktree / "a.py").read_text() == "A = 1\n"
    assert "a.py" in git(project, "ls-tree", "--name-only", "shopfloor/TASK-001")  # saved on its branch
    assert live_run_pid(project) is None  # the run's lock went with it


def test_an_uncommitted_edit_in_the_checkout_pauses_delivery_and_no_agent_runs_again(tmp_path: Path) -> None:
    project = make_project(tmp_path, [("TASK-001", [])])
    edit = [tool("Read", file_path="{workdir}/shared.txt"), *write_turns("shared.txt", "from the task\n")]
    d = scripts(tmp_path, {"TASK-001": edit})
    (project / "shared.txt").write_text("the user's edit, not committed\n")
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = proc.stdout + proc.stderr
    assert "commit or stash your changes to shared.txt, then `shopfloor resume`" in said
    assert "Traceback" not in said
    # The task is verified and merged (into the integration branch); its agent ran once; nothing of the
    # user's checkout changed.
    assert attempts(project, "TASK-001") == ["completed"]
    assert queue_status(project, "TASK-001") == "completed"
    assert (project / "shared.txt").read_text() == "the user's edit, not committed\n"
    assert git(project, "log", "--format=%s", "main").strip() == "init"
    data = status(project)
    assert data["run"]["status"] == "paused" and "shared.txt" in data["run"]["note"]
    plain = shopfloor("status", cwd=project)
    assert "next: the verified work is on shopfloor/integration/main" in plain.stdout

    git(project, "stash")
    resumed = shopfloor("resume", cwd=project)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "shopfloor/integration/main holds verified work not yet in main" in resumed.stderr
    assert (project / "shared.txt").read_text() == "from the task\n"
    assert "Merge TASK-001" in git(project, "log", "--format=%s", "main")
    assert attempts(project, "TASK-001") == ["completed"]  # resumed without paying an agent again
    assert status(project)["run"]["status"] == "completed"
    again = shopfloor("resume", cwd=project)
    assert again.returncode == 0 and "nothing to resume" in again.stdout
    assert len(query(project, "SELECT id FROM runs")) == 1
