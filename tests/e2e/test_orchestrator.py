"""`shopfloor run` end to end with scripted agents: real git worktrees, the gate, the merge queue, SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

QUEUE = """# Tasks

### TASK-001
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | easy |

**Objective:** Add module a.

**Acceptance Criteria:**
- a.py exists

**Dependencies:** None

### TASK-002
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | normal |

**Objective:** Add module b.

**Acceptance Criteria:**
- b.py exists

**Dependencies:** None

### TASK-003
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | complex |

**Objective:** Add module c using a and b.

**Acceptance Criteria:**
- c.py imports a and b

**Dependencies:** TASK-001, TASK-002
"""


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


def write_file_turns(path: str, content: str) -> list[dict[str, Any]]:
    marker = "{workdir}/.orchestrator/complete/{task_id}.done"
    return [
        {
            "tool_calls": [
                {"tool": "Write", "input": {"file_path": f"{{workdir}}/{path}", "content": content}}
            ]
        },
        {"tool_calls": [{"tool": "Bash", "input": {"command": "python3 -c 'print(1)'"}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": marker, "content": "done"}}]},
        "Done.",
    ]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("sample\n")
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    return root


def scripts(tmp_path: Path, per_task: dict[str, list[Any]]) -> Path:
    d = tmp_path / "scripts"
    d.mkdir(exist_ok=True)
    for tid, turns in per_task.items():
        (d / f"{tid}.yaml").write_text(yaml.safe_dump(turns))
    return d


def shopfloor(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; `env` adds to (never replaces) this process's environment."""
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=full,
    )


def test_parallel_tasks_and_a_dependency_chain_are_verified_and_merged(project: Path, tmp_path: Path) -> None:
    d = scripts(
        tmp_path,
        {
            "TASK-001": write_file_turns("a.py", "A = 1\n"),
            "TASK-002": write_file_turns("b.py", "B = 2\n"),
            "TASK-003": write_file_turns("c.py", "from a import A\nfrom b import B\nC = A + B\n"),
        },
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", "--parallel", "2", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The checked-out branch holds every verified task's work, merged in by the merge queue.
    for name in ("a.py", "b.py", "c.py"):
        assert (project / name).is_file(), name
    log = git(project, "log", "--format=%s", "main")
    assert "Merge TASK-001" in log and "Merge TASK-002" in log and "Merge TASK-003" in log
    # TASK-003 started from the integration branch with both dependencies merged.
    c_tree = git(project, "ls-tree", "--name-only", "shopfloor/TASK-003")
    assert {"a.py", "b.py", "c.py"} <= set(c_tree.split())
    queue = (project / ".orchestrator" / "task_queue.md").read_text()
    assert queue.count("| Status | completed |") == 3
    # The agent's marker keeps what it wrote; the gate's verdict (bound to a tree hash) has its own file.
    assert (project / ".orchestrator" / "complete" / "TASK-003.done").read_text() == "done"
    verdict = json.loads((project / ".orchestrator" / "verdicts" / "TASK-003.json").read_text())
    assert verdict["verdict"] == "pass" and verdict["tree_hash"]
    # Every gate round's report is kept beside the state.
    assert (
        json.loads((project / ".orchestrator" / "reports" / "TASK-003" / "gate-1.json").read_text())[
            "verdict"
        ]
        == "pass"
    )
    status = shopfloor("status", "--json", cwd=project)
    assert status.returncode == 0
    tasks = {t["task_id"]: t for t in json.loads(status.stdout)["tasks"]}
    assert {t["status"] for t in tasks.values()} == {"completed"}
    assert tasks["TASK-001"]["model"] == "haiku" and tasks["TASK-003"]["model"] == "opus"
    # A merged task's worktree is removed; its branch stays, and git no longer lists the worktree.
    assert list((project / ".orchestrator" / "worktrees").iterdir()) == []
    assert "a.py" in git(project, "ls-tree", "--name-only", "shopfloor/TASK-001")
    assert ".orchestrator/worktrees/TASK-" not in git(project, "worktree", "list")
    logs = shopfloor("logs", "TASK-002", cwd=project)
    assert logs.returncode == 0 and "b.py" in logs.stdout


def test_agent_without_marker_fails_its_task_blocks_dependents_and_the_rest_goes_on(
    project: Path, tmp_path: Path
) -> None:
    d = scripts(
        tmp_path,
        {
            "TASK-001": ["I think it is fine."] * 9,
            "TASK-002": write_file_turns("b.py", "B = 2\n"),
            "TASK-003": write_file_turns("c.py", "C = 3\n"),
        },
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", "--attempts", "2", cwd=project)
    assert proc.returncode == 1
    queue = (project / ".orchestrator" / "task_queue.md").read_text()
    assert "| Status | failed |" in queue and "| Status | blocked |" in queue
    assert (project / "b.py").is_file()
    assert not (project / "c.py").exists()
    status = json.loads(shopfloor("status", "--json", cwd=project).stdout)
    by_id = {t["task_id"]: t for t in status["tasks"]}
    assert by_id["TASK-001"]["status"] == "failed" and by_id["TASK-001"]["attempts"] == 2
    assert by_id["TASK-003"]["status"] == "blocked"
    # The failed task's worktree is kept for a person to look at; the merged one's is gone.
    assert (project / ".orchestrator" / "worktrees" / "TASK-001").is_dir()
    assert not (project / ".orchestrator" / "worktrees" / "TASK-002").exists()


def test_keep_worktrees_all_keeps_merged_tasks_worktrees(project: Path, tmp_path: Path) -> None:
    (project / ".orchestrator" / "task_queue.md").write_text(QUEUE.split("### TASK-002")[0])
    with (project / "shopfloor.toml").open("a") as toml:
        toml.write('[run]\nkeep_worktrees = "all"\n')
    d = scripts(tmp_path, {"TASK-001": write_file_turns("a.py", "A = 1\n")})
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / ".orchestrator" / "worktrees" / "TASK-001" / "a.py").is_file()


def test_a_hand_broken_queue_gets_a_clear_error_with_its_line(project: Path, tmp_path: Path) -> None:
    path = project / ".orchestrator" / "task_queue.md"
    path.write_text(QUEUE.replace("| Category | backend |", "| Category | backnd |", 1))
    proc = shopfloor("run", "--model", f"scripted:{tmp_path}", cwd=project)
    assert proc.returncode == 2
    assert "task_queue.md:7: TASK-001: unknown category 'backnd'" in proc.stderr


def test_dry_run_shows_waves_agents_and_models_without_calling_a_model(project: Path) -> None:
    proc = shopfloor("run", "--dry-run", cwd=project, env={"ANTHROPIC_API_KEY": "sk-test"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "backend-agent" in proc.stdout and "opus (anthropic:claude-opus" in proc.stdout
    assert "3 task(s) to run in 2 wave(s)" in proc.stdout
    assert 'custom: python3 -c "import sys" [config]' in proc.stdout  # the checks the gate runs
    assert "Nothing stops this run" in proc.stdout
    assert not (project / ".orchestrator" / "state.db").exists()


def test_decomposition_gets_queue_errors_back_and_fixes_them(project: Path, tmp_path: Path) -> None:
    (project / ".orchestrator" / "task_queue.md").unlink()
    (project / "PRD.md").write_text("# PRD\nBuild modules a and b.\n")
    queue_path = "{workdir}/.orchestrator/task_queue.md"
    marker = "{workdir}/.orchestrator/complete/{task_id}.done"
    two_tasks = QUEUE.split("### TASK-003")[0]
    broken = two_tasks.replace("| Complexity | easy |", "| Complexity | trivial |")
    d = scripts(
        tmp_path,
        {
            "decomposition": [
                {"tool_calls": [{"tool": "Read", "input": {"file_path": "{workdir}/PRD.md"}}]},
                {"tool_calls": [{"tool": "Write", "input": {"file_path": queue_path, "content": broken}}]},
                {"tool_calls": [{"tool": "Write", "input": {"file_path": marker, "content": "done"}}]},
                "Queue written.",
                {"tool_calls": [{"tool": "Read", "input": {"file_path": queue_path}}]},
                {"tool_calls": [{"tool": "Write", "input": {"file_path": queue_path, "content": two_tasks}}]},
                {"tool_calls": [{"tool": "Write", "input": {"file_path": marker, "content": "done"}}]},
                "Fixed.",
            ],
            "TASK-001": write_file_turns("a.py", "A = 1\n"),
            "TASK-002": write_file_turns("b.py", "B = 2\n"),
        },
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "a.py").is_file() and (project / "b.py").is_file()
    logs = shopfloor("logs", "decomposition", cwd=project).stdout
    assert "unknown complexity 'trivial'" in logs


def test_issue_reported_during_a_run_becomes_a_task_in_the_next_loop(project: Path, tmp_path: Path) -> None:
    import time

    one_task = QUEUE.split("### TASK-002")[0]
    (project / ".orchestrator" / "task_queue.md").write_text(one_task)
    slow = write_file_turns("a.py", "A = 1\n")
    slow.insert(1, {"tool_calls": [{"tool": "Bash", "input": {"command": "sleep 4"}}]})
    d = scripts(tmp_path, {"TASK-001": slow, "TASK-002": write_file_turns("z.py", "Z = 26\n")})
    run = subprocess.Popen(
        [sys.executable, "-m", "shopfloor", "run", "--model", f"scripted:{d}", "--loops", "1"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(200):  # until TASK-001's agent is at work
            if (project / ".orchestrator" / "worktrees" / "TASK-001" / "a.py").exists():
                break
            time.sleep(0.05)
        reported = shopfloor("issue", "Add module z\nz.py should define Z.", "--priority", "low", cwd=project)
        assert reported.returncode == 0, reported.stderr
        assert "ISSUE-001" in reported.stdout
        out, err = run.communicate(timeout=240)
    finally:
        run.kill()
    assert run.returncode == 0, out + err
    assert (project / "z.py").read_text() == "Z = 26\n"
    issues = (project / ".orchestrator" / "issue_queue.md").read_text()
    assert "| Status | completed |" in issues
    queue = (project / ".orchestrator" / "task_queue.md").read_text()
    assert "### TASK-002" in queue and queue.count("| Status | completed |") == 2
    assert "improvement loop 1" in git(project, "log", "--format=%s", "-1")


def test_run_without_a_provider_key_stops_before_any_task_starts(project: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "run"], cwd=project, capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "ANTHROPIC_API_KEY is not set" in proc.stderr and "Traceback" not in proc.stderr
    assert not (project / ".orchestrator" / "worktrees").exists()


def test_run_with_dashboard_prints_its_tokened_loopback_url(project: Path, tmp_path: Path) -> None:
    (project / ".orchestrator" / "task_queue.md").write_text(QUEUE.split("### TASK-002")[0])
    d = scripts(tmp_path, {"TASK-001": write_file_turns("a.py", "A = 1\n")})
    proc = shopfloor("run", "--model", f"scripted:{d}", "--dashboard", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "dashboard: http://127.0.0.1:" in proc.stderr and "token=" in proc.stderr


def test_verify_task_judges_only_that_task_s_change_after_the_run(project: Path, tmp_path: Path) -> None:
    with (project / "shopfloor.toml").open("a") as toml:
        toml.write('[run]\nkeep_worktrees = "all"\n')
    d = scripts(
        tmp_path,
        {
            "TASK-001": write_file_turns("a.py", "A = 1\n"),
            "TASK-002": write_file_turns("b.py", "B = 2\n"),
            "TASK-003": write_file_turns("c.py", "from a import A\nfrom b import B\n"),
        },
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    done = shopfloor("verify", "TASK-003", "--json", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    # Its own work, against what it started from: not its dependencies' files, not an empty change.
    assert "c.py" in report["diff_stat"] and "a.py" not in report["diff_stat"], report["diff_stat"]
