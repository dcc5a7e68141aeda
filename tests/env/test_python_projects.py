"""Python projects through `shopfloor run`: uv and pip install into the worktree's own `.venv` before the
agent, the sandboxed agent's pytest is that venv's, the gate runs it there (never shopfloor's own
interpreter), and a database that is not running is the environment's fault, not the agent's."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from shopfloor.dashboard.data import DashboardData
from tests.env.conftest import PROJECTS, path_with
from tests.env.runs import (
    bash,
    bash_answers,
    env_log,
    finished,
    new_project,
    notices,
    read,
    run_tasks,
    verdict,
    write,
)
from tests.env.runs import status as task_status

pytestmark = pytest.mark.slow

HUGE = """

def huge(n_bytes: int) -> str:
    return humanize.naturalsize(n_bytes, binary=True)
"""
HUGE_TEST = """from sizes import huge


def test_binary_units() -> None:
    assert huge(3 * 1024 * 1024) == "3.0 MiB"
"""
TOML_TABLE = """

def render_table(name: str, values: dict[str, object]) -> str:
    return tomli_w.dumps({name: values})
"""
TOML_TABLE_TEST = """from settings_file import render_table


def test_table() -> None:
    assert render_table("server", {"port": 1}) == "[server]\\nport = 1\\n"
"""


def test_uv_project_syncs_its_venv_and_the_agent_and_the_gate_run_pytest_there(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    project = new_project(locked("py_uv"), tmp_path / "app", [("TASK-001", "Sizes in binary units.")])
    sizes = (project / "sizes.py").read_text() + HUGE
    agent = finished(
        read("sizes.py"),
        write("sizes.py", sizes),
        write("tests/test_huge.py", HUGE_TEST),
        bash("python -m pytest -q"),
        bash("command -v python pytest"),
    )
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": agent}, path_with(tool_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    venv_bin = project / ".orchestrator" / "worktrees" / "TASK-001" / ".venv" / "bin"
    pytest_run, which = bash_answers(project, "TASK-001")
    assert not pytest_run[2] and "2 passed" in pytest_run[1], pytest_run
    assert which[1].split() == [str(venv_bin / "python"), str(venv_bin / "pytest")]
    assert not any("NOT sandboxed" in n for n in notices(project, "TASK-001"))
    report = verdict(project, "TASK-001")
    assert report["verdict"] == "pass", report["reasons"]
    assert [c["command"] for c in report["checks"]] == [f"{venv_bin / 'python'} -m pytest -q"]
    assert "$ uv sync --frozen" in env_log(project, "TASK-001")


def test_pip_project_installs_its_requirements_into_a_worktree_venv(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    project = new_project(locked("py_pip"), tmp_path / "app", [("TASK-001", "Render a table.")])
    module = (project / "settings_file.py").read_text() + TOML_TABLE
    agent = finished(
        read("settings_file.py"),
        write("settings_file.py", module),
        write("tests/test_table.py", TOML_TABLE_TEST),
        bash("pytest -q"),
    )
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": agent}, path_with(tool_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [pytest_run] = bash_answers(project, "TASK-001")
    assert not pytest_run[2] and "2 passed" in pytest_run[1], pytest_run
    worktree = project / ".orchestrator" / "worktrees" / "TASK-001"
    report = verdict(project, "TASK-001")
    assert report["verdict"] == "pass", report["reasons"]
    assert report["checks"][0]["command"].startswith(str(worktree / ".venv" / "bin" / "python"))
    log = env_log(project, "TASK-001")
    assert "$ python3 -m venv .venv" in log and "-r requirements.txt" in log


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


DB_TASK = [("TASK-001", "Keep the store as it is.")]
NOTE = "# the store\n"


def test_a_database_that_is_not_running_is_an_environment_verdict_and_costs_no_more_attempts(
    tool_bin: Path, tmp_path: Path
) -> None:
    assert _port_free(5432), "this test needs nothing listening on 127.0.0.1:5432"
    project = new_project(PROJECTS / "py_db", tmp_path / "app", DB_TASK)
    agent = finished(write("NOTES.md", NOTE))
    path = path_with(tool_bin)
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": agent}, path)
    assert proc.returncode == 1
    task = task_status(project, path)["TASK-001"]
    assert task["attempts"] == 1  # no second attempt, and no gate report sent back to the agent
    assert task["last_error"] == (
        "environment broken: connection refused on 5432: is PostgreSQL running? (`[env] services`)"
    )
    report = json.loads((project / ".orchestrator" / "reports" / "TASK-001" / "gate-1.json").read_text())
    assert report["verdict"] == "environment"
    assert report["checks"][0]["environment"].startswith("connection refused on 5432")
    # The dashboard tells the same story: the environment set up, a gate that could not judge, no blame.
    data = DashboardData(project)
    try:
        detail = data.task("TASK-001")
    finally:
        data.close()
    assert detail is not None
    steps = {s.kind: s for s in detail.history}
    assert (steps["environment"].status, steps["environment"].detail) == (
        "setup",
        ".orchestrator/env/TASK-001.log",
    )
    assert steps["gate"].status == "environment"
    assert "could not judge: connection refused on 5432" in steps["gate"].detail
    assert steps["attempt_ended"].status == "environment_broken"
    assert (detail.task.gate_rounds, detail.task.gate_failures) == (1, 0)


def test_a_declared_service_is_started_for_the_gate_and_stopped_after_the_run(
    tool_bin: Path, tmp_path: Path
) -> None:
    port = 5432
    assert _port_free(port), "this test needs nothing listening on 127.0.0.1:5432"
    config = f"""
[[env.services]]
name = "database"
command = "python3 fake_db.py {port}"
ready = "tcp:{port}"
"""
    project = new_project(PROJECTS / "py_db", tmp_path / "app", DB_TASK, config=config)
    proc = run_tasks(
        project, tmp_path / "s", {"TASK-001": finished(write("NOTES.md", NOTE))}, path_with(tool_bin)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert verdict(project, "TASK-001")["verdict"] == "pass"
    services = env_log(project, "services")
    assert "[database] ready" in services and "[database] stopped" in services
    assert _port_free(port)  # stopped with the run
