"""Test-first runs: a test task's tests must fail first, and its build task may not change them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

QUEUE = """### TASK-T01
| Field | Value |
|-------|-------|
| Status | pending |
| Category | testing |
| Complexity | easy |

**Objective:** Write tests for mul(a, b).

**Acceptance Criteria:**
- tests/test_mul.py checks mul

**Dependencies:** None

### TASK-001
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | easy |

**Objective:** Implement mul(a, b) in calc.py.

**Acceptance Criteria:**
- the tests of TASK-T01 pass

**Dependencies:** TASK-T01
"""
TEST_MUL = "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def writes(*files: tuple[str, str]) -> list[Any]:
    """Read each file (Write refuses to replace a file it has not seen), then write it."""
    turns: list[Any] = []
    for p, c in files:
        path = f"{{workdir}}/{p}"
        turns.append({"tool_calls": [{"tool": "Read", "input": {"file_path": path}}]})
        turns.append({"tool_calls": [{"tool": "Write", "input": {"file_path": path, "content": c}}]})
    return [
        *turns,
        {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "ok"}}]},
        "Done.",
    ]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "tests" / "test_add.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python -m pytest -q -p no:cacheprovider"]\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    return root


def run(
    project: Path, scripts: dict[str, list[Any]], tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    d = tmp_path / "scripts"
    d.mkdir()
    for tid, turns in scripts.items():
        (d / f"{tid}.yaml").write_text(yaml.safe_dump(turns))
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", "run", "--model", f"scripted:{d}",
         "--attempts", "1", "--gate-rounds", "1", *options],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def shopfloor(project: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shopfloor", *args], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_red_then_green_is_accepted(project: Path, tmp_path: Path) -> None:
    proc = run(
        project,
        {
            "TASK-T01": writes(("tests/test_mul.py", TEST_MUL)),
            "TASK-001": writes(
                ("calc.py", "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
            ),
        },
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "tests" / "test_mul.py").read_text() == TEST_MUL
    assert "def mul" in (project / "calc.py").read_text()


def test_test_task_whose_tests_already_pass_is_rejected(project: Path, tmp_path: Path) -> None:
    passing = "from calc import add\n\n\ndef test_add_again():\n    assert add(2, 2) == 4\n"
    proc = run(project, {"TASK-T01": writes(("tests/test_more.py", passing)), "TASK-001": writes()}, tmp_path)
    assert proc.returncode == 1
    queue = (project / ".orchestrator" / "task_queue.md").read_text()
    assert queue.count("| Status | failed |") == 1 and queue.count("| Status | blocked |") == 1
    report = (project / ".orchestrator" / "reports" / "TASK-T01-failure.md").read_text()
    assert "tests/test_more.py" in report


def test_build_task_that_edits_its_protected_tests_is_rejected(project: Path, tmp_path: Path) -> None:
    weakened = "def test_mul():\n    assert True\n"
    proc = run(
        project,
        {
            "TASK-T01": writes(("tests/test_mul.py", TEST_MUL)),
            "TASK-001": writes(
                ("calc.py", "def mul(a, b):\n    return 0\n"), ("tests/test_mul.py", weakened)
            ),
        },
        tmp_path,
    )
    assert proc.returncode == 1
    assert (project / "tests" / "test_mul.py").read_text() == TEST_MUL
    logs = subprocess.run(
        [sys.executable, "-m", "shopfloor", "status", "--json"], cwd=project, capture_output=True, text=True
    ).stdout
    assert '"task_id": "TASK-001"' in logs and "tests/test_mul.py" in logs


@pytest.mark.parametrize("tdd", [True, False])
def test_tdd_asks_decomposition_for_test_first_tasks_and_the_run_keeps_the_option(
    project: Path, tmp_path: Path, tdd: bool
) -> None:
    (project / ".orchestrator" / "task_queue.md").unlink()
    (project / "PRD.md").write_text("# PRD\nAdd mul(a, b) to calc.py.\n")
    git(project, "add", "PRD.md")
    git(project, "commit", "-q", "-m", "prd")
    queue = "{workdir}/.orchestrator/task_queue.md"
    decomposition = [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": queue, "content": QUEUE}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "ok"}}]},
        "Queue written.",
    ]
    scripts = {
        "decomposition": decomposition,
        "TASK-T01": writes(("tests/test_mul.py", TEST_MUL)),
        "TASK-001": writes(
            ("calc.py", "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
        ),
    }
    proc = run(project, scripts, tmp_path, *(["--tdd"] if tdd else []))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    asked = shopfloor(project, "logs", "decomposition")
    assert ("Test-first: for each build task" in asked) is tdd, asked
    assert "mul(2, 3) == 6" in (project / "tests" / "test_mul.py").read_text()
    assert ('"tdd": true' in shopfloor(project, "runs", "--json")) is tdd
