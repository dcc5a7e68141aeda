"""A new user's first runs, as they see them: what is refused before anything is written or any model
called, what a first commit takes in, what resume remembers, and which runs `status` and `runs` show."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from shopfloor.orchestrator.prd import PRD_TEMPLATE
from shopfloor.testing import FakeProvider

MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
QUEUE = """# Tasks

### TASK-001
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | normal |

**Objective:** Add module a.

**Acceptance Criteria:**
- a.py exists

**Dependencies:** None
"""
NO_KEYS = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, env=env or NO_KEYS,
    )  # fmt: skip


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The error a person reads: exactly one line, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return lines[0]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def tool(name: str, **args: Any) -> dict[str, Any]:
    return {"tool_calls": [{"tool": name, "input": args}]}


def scripts(tmp_path: Path, turns: list[Any]) -> Path:
    d = tmp_path / "scripts"
    d.mkdir(exist_ok=True)
    (d / "TASK-001.yaml").write_text(yaml.safe_dump(turns))
    return d


def write_a(extra: list[Any] | None = None) -> list[Any]:
    return [
        tool("Write", file_path="{workdir}/a.py", content="A = 1\n"),
        *(extra or []),
        tool("Write", file_path=MARKER, content="done"),
        "Done.",
    ]


def test_a_folder_that_is_not_a_repository_is_left_alone_when_the_run_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "PRD.md").write_text("# Notes app\nUsers keep notes.\n")
    (tmp_path / ".env").write_text("API_TOKEN=secret\n")
    proc = cli("run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "ANTHROPIC_API_KEY is not set" in one_line_error(proc)
    assert not (tmp_path / ".git").exists() and not (tmp_path / ".orchestrator").exists()


def test_the_first_commit_leaves_out_secrets_and_dependencies_and_says_what_it_took(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "node_modules" / "left-pad").mkdir(parents=True)
    (project / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (project / ".env").write_text("API_TOKEN=secret\n")
    (project / "deploy.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (project / ".env.example").write_text("API_TOKEN=\n")
    (project / "app.py").write_text("print('hi')\n")
    (project / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    (project / ".orchestrator").mkdir()
    (project / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    d = scripts(tmp_path, write_a())
    proc = cli("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = git(project, "ls-tree", "-r", "--name-only", "main~1")  # before TASK-001's merge
    assert set(first.split()) == {".env.example", ".gitignore", "app.py", "shopfloor.toml"}
    assert ".env\n" in (project / ".gitignore").read_text()
    said = proc.stdout + proc.stderr
    assert "made a git repository here and committed 4 file(s)" in said
    assert "left out as secrets or dependencies: node_modules/, .env, deploy.pem" in said
    assert (project / "a.py").read_text() == "A = 1\n"


def test_a_subdirectory_of_a_repository_is_refused_with_where_its_root_is(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    sub = tmp_path / "service"
    sub.mkdir()
    (sub / "PRD.md").write_text("# Service\nServe things.\n")
    proc = cli("run", cwd=sub)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert f"inside the git repository at {tmp_path.resolve()}" in line and "cd " in line
    assert not (sub / ".orchestrator").exists()


def test_an_empty_or_untouched_prd_is_refused_before_any_model_call(tmp_path: Path) -> None:
    with FakeProvider() as fake:
        env = {**NO_KEYS, **fake.env()}
        (tmp_path / "PRD.md").write_text("\n  \n")
        empty = cli("run", cwd=tmp_path, env=env)
        assert cli("init", cwd=tmp_path).returncode == 0  # keeps the empty PRD.md
        (tmp_path / "PRD.md").write_text(PRD_TEMPLATE)
        template = cli("run", cwd=tmp_path, env=env)
        (tmp_path / "PRD.md").write_text(PRD_TEMPLATE.replace("<name>", "Notes"))
        placeholder = cli("run", "--dry-run", cwd=tmp_path, env=env)
        assert fake.calls == []
    assert empty.returncode == 2 and "PRD.md is empty" in one_line_error(empty)
    assert template.returncode == 2 and "still the template" in one_line_error(template)
    assert placeholder.returncode == 2
    line = PRD_TEMPLATE.splitlines().index("1. <A feature, described by what a user can do.>") + 1
    assert f"PRD.md:{line}: the template's placeholder" in one_line_error(placeholder)
    assert not (tmp_path / ".orchestrator").exists()


def test_a_run_that_cannot_start_leaves_no_run_behind_and_resume_makes_none(tmp_path: Path) -> None:
    (tmp_path / "PRD.md").write_text("# Notes app\nUsers keep notes.\n")
    assert cli("run", cwd=tmp_path).returncode == 2
    nothing = cli("resume", cwd=tmp_path)
    assert nothing.returncode == 2 and "no run to resume" in one_line_error(nothing)
    assert cli("runs", cwd=tmp_path).returncode == 1
    assert not (tmp_path / ".orchestrator" / "state.db").exists()


def test_resume_goes_on_with_the_model_and_flags_the_run_started_with(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init")
    (project / ".orchestrator").mkdir()
    (project / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    slow = "test -f .orchestrator/slept || { touch .orchestrator/slept; sleep 30; }"
    d = scripts(tmp_path, write_a([tool("Bash", command=slow, timeout=60000)]))
    run = subprocess.Popen(
        [sys.executable, "-m", "shopfloor", "run", "--model", f"scripted:{d}", "--gate-rounds", "2"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=NO_KEYS,
    )  # fmt: skip
    try:
        marker = project / ".orchestrator" / "worktrees" / "TASK-001" / ".orchestrator" / "slept"
        for _ in range(600):
            if marker.exists() or run.poll() is not None:
                break
            time.sleep(0.1)
        run.send_signal(signal.SIGINT)  # Ctrl-C
        run.wait(timeout=60)
    finally:
        run.kill()
    # No --model: without the stored one, this would go to Anthropic with no key and exit 2.
    resumed = cli("resume", cwd=project)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (project / "a.py").read_text() == "A = 1\n"
    report = json.loads(cli("status", "--json", cwd=project).stdout)
    assert report["run"]["options"]["model"] == f"scripted:{d}"
    assert report["run"]["options"]["overrides"]["run"]["gate_rounds"] == 2
    assert report["scripted"] is True
    plain = cli("status", cwd=project)
    assert "(scripted models)" in plain.stdout and "scripted: no model was called" in plain.stdout


def test_runs_lists_every_run_and_status_shows_any_of_them(tmp_path: Path) -> None:
    from shopfloor.orchestrator.store import Store

    with Store.for_project(tmp_path) as store:
        first = store.open_run(options={"model": "sonnet"})
        store.upsert_task(first.id, "TASK-001", status="completed")
        store.finish_run(first.id, "completed")
        second = store.open_run()
        store.upsert_task(second.id, "TASK-002", status="failed")
        store.finish_run(second.id, "failed", "TASK-002 failed its checks")
    listed = cli("runs", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "completed" in listed.stdout and "TASK-002 failed its checks" in listed.stdout
    older = cli("status", "--run", str(first.id), cwd=tmp_path)
    assert older.returncode == 0 and "TASK-001" in older.stdout and "TASK-002" not in older.stdout
    missing = cli("status", "--run", "9", cwd=tmp_path)
    assert missing.returncode == 2 and "shopfloor runs" in one_line_error(missing)
