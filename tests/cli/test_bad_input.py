"""Broken things a person can hand shopfloor, each answered with one line naming the cause and the next step:
a damaged or newer state database, a full disk, files that are not UTF-8, broken or unsaved agent files,
settings out of range, a bad environment variable, a directory that does not exist."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.orchestrator.store import Store
from tests.cli.test_first_run import NO_KEYS, QUEUE, cli, git, one_line_error


def recorded_run(project: Path) -> Path:
    with Store.for_project(project) as store:
        run = store.open_run()
        store.upsert_task(run.id, "TASK-001", status="completed")
        store.finish_run(run.id, "completed")
    return project / ".orchestrator" / "state.db"


def repo_with_queue(root: Path, toml: str = "") -> Path:
    root.mkdir(exist_ok=True)
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c pass"]\n' + toml)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    return root


@pytest.mark.parametrize("damage", ["garbage", "truncated", "newer"])
def test_a_damaged_or_newer_state_database_is_one_line_for_status_runs_and_resume(
    tmp_path: Path, damage: str
) -> None:
    db = recorded_run(tmp_path)
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all, just some bytes" * 100)
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:2000])
    else:
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    for command in ("status", "runs", "resume"):
        proc = cli(command, cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        line = one_line_error(proc)
        assert str(db) in line
        assert ("upgrade shopfloor" if damage == "newer" else "move it aside") in line


def _no_writes() -> None:
    """What a full disk looks like to a process: every write past zero bytes fails."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_status_reads_the_state_without_writing_so_a_full_disk_does_not_stop_it(tmp_path: Path) -> None:
    recorded_run(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "status"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env=NO_KEYS, preexec_fn=_no_writes,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Run 1: completed" in proc.stdout and "TASK-001" in proc.stdout


def test_a_full_disk_during_a_run_is_one_line(tmp_path: Path) -> None:
    project = repo_with_queue(tmp_path / "proj")
    (project / "scripts").mkdir()
    (project / "scripts" / "TASK-001.yaml").write_text("- Done.\n")
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "run", "--model", "scripted:scripts"],
        cwd=project, capture_output=True, text=True, timeout=60, env=NO_KEYS, preexec_fn=_no_writes,
    )  # fmt: skip
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "free some" in line and "space" in line


def test_files_that_are_not_utf8_are_named_with_their_line(tmp_path: Path) -> None:
    project = repo_with_queue(tmp_path / "proj")
    queue = project / ".orchestrator" / "task_queue.md"
    queue.write_bytes(QUEUE.encode().replace(b"Add module a.", b"Add module \xe9."))
    proc = cli("run", cwd=project)
    assert proc.returncode == 2
    assert f"task queue has a problem: {queue}:10: not UTF-8 text; save the file as UTF-8" in one_line_error(
        proc
    )
    (project / "shopfloor.toml").write_bytes(b'[gate]\ncommands = ["caf\xe9"]\n')
    proc = cli("run", cwd=project)
    assert proc.returncode == 2
    assert "shopfloor.toml is not UTF-8 text" in one_line_error(proc)


def test_a_broken_agent_file_stops_the_run_before_any_task_with_its_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    agents = project / ".shopfloor" / "agents"
    agents.mkdir(parents=True)
    (agents / "backend-agent.md").write_text("---\nname: backend-agent\ntools: [Read\n---\nBody.\n")
    repo_with_queue(project)
    proc = cli("run", cwd=project, env={**NO_KEYS, "ANTHROPIC_API_KEY": "k"})
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "backend-agent" in line and f"{agents / 'backend-agent.md'}:" in line
    assert not (project / ".orchestrator" / "state.db").exists()  # no task was left in_progress
    assert "| Status | pending |" in (project / ".orchestrator" / "task_queue.md").read_text()


def test_an_agent_file_that_is_not_committed_is_said_before_it_is_silently_skipped(tmp_path: Path) -> None:
    project = repo_with_queue(tmp_path / "proj")
    agents = project / ".shopfloor" / "agents"
    agents.mkdir(parents=True)
    (agents / "backend-agent.md").write_text(
        "---\nname: backend-agent\ndescription: Ours.\ntools: Read, Write\n---\nOur own backend agent.\n"
    )
    proc = cli("run", "--dry-run", cwd=project, env={**NO_KEYS, "ANTHROPIC_API_KEY": "k"})
    assert proc.returncode == 2
    assert ".shopfloor/agents/backend-agent.md is not committed" in one_line_error(proc)
    git(project, "add", ".shopfloor")
    git(project, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "agents")
    assert cli("run", "--dry-run", cwd=project, env={**NO_KEYS, "ANTHROPIC_API_KEY": "k"}).returncode == 0


def test_settings_out_of_range_and_bad_variables_are_blamed_on_where_they_came_from(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text("[gate]\ntimeout_s = -1\n")
    proc = cli("run", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "shopfloor.toml: gate.timeout_s: Input should be greater than 0" in one_line_error(proc)
    (tmp_path / "shopfloor.toml").write_text("[run]\nparallel = 2\n")
    proc = cli("run", "--dry-run", cwd=tmp_path, env={**NO_KEYS, "SHOPFLOOR_RUN__PARALLEL": "0"})
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert (
        line.startswith("shopfloor: SHOPFLOOR_RUN__PARALLEL: run.parallel:") and "shopfloor.toml" not in line
    )


def test_a_directory_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for command in ("agents", "skills"):
        proc = cli(command, "--dir", str(missing), cwd=tmp_path)
        assert proc.returncode == 2 and "is not a directory" in one_line_error(proc)
