"""A project set up for the seed orchestrator, run through the CLI as it is: `run --dry-run`, `issue`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.test_orchestrator import scripts, write_file_turns
from tests.gitcmd import git_out

LAYOUTS = Path(__file__).parent.parent / "queue" / "seed_layouts"


def shopfloor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"ANTHROPIC_API_KEY": "sk-test-unused", **os.environ, "COLUMNS": "200"}  # dry runs check keys
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".orchestrator").mkdir(parents=True)
    return root


TWO_SECTION = """# Task Queue

### TASK-001

| Field | Value |
|-------|-------|
| Priority | low |
| Status | pending |
| Category | backend |
| Depends On | None |

---

**Description:** Add module slow.

### TASK-002

| Field | Value |
|-------|-------|
| Priority | critical |
| Status | pending |
| Category | backend |
| Depends On | None |

---

**Description:** Add module urgent.

### TASK-003

| Field | Value |
|-------|-------|
| Priority | high |
| Status | pending |
| Category | backend |
| Depends On | TASK-001 |

---

**Description:** Add module after, which needs slow.
"""


def test_a_two_section_queue_runs_critical_first_and_its_depends_on_rows_hold(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    git_out(root, "init", "-q", "-b", "main")
    git_out(root, "add", "-A")
    git_out(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(TWO_SECTION)
    d = scripts(
        tmp_path,
        {
            "TASK-001": write_file_turns("slow.py", "SLOW = 1\n"),
            "TASK-002": write_file_turns("urgent.py", "URGENT = 1\n"),
            "TASK-003": write_file_turns("after.py", "from slow import SLOW\n"),
        },
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", "--parallel", "1", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merges = git_out(root, "log", "--reverse", "--format=%s", "--merges", "main").splitlines()
    assert [m.split(":")[0] for m in merges] == ["Merge TASK-002", "Merge TASK-001", "Merge TASK-003"]
    queue = (root / ".orchestrator" / "task_queue.md").read_text()
    assert queue == TWO_SECTION.replace("| Status | pending |", "| Status | completed |")


def test_dry_run_plans_a_two_section_queue_with_its_dependencies_priorities_and_assumptions(
    project: Path,
) -> None:
    shutil.copy(LAYOUTS / "queue_two_section.md", project / ".orchestrator" / "task_queue.md")
    proc = shopfloor("run", "--dry-run", cwd=project)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("│")[1:4] for line in proc.stdout.splitlines() if "│ TASK-" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["1", "TASK-001", "high"],
        ["2", "TASK-002", "critical"],
        ["2", "TASK-003", "low"],
        ["3", "TASK-T01", "medium"],
        ["4", "TASK-V01", "medium"],
    ]
    assert "4 wave(s)" in proc.stdout
    assert "TASK-001: no Complexity: assumed normal (the default)" in proc.stdout
    assert "qa-agent" in proc.stdout  # test_verification is a testing task


def test_dry_run_refuses_a_wrong_dependency_with_file_and_line(project: Path) -> None:
    text = (
        (LAYOUTS / "queue_test_first.md")
        .read_text()
        .replace("**Dependencies:** TASK-T01\n", "**Dependencies:** TASK-T1\n")
    )
    path = project / ".orchestrator" / "task_queue.md"
    path.write_text(text)
    line = text[: text.index("TASK-T1\n")].count("\n") + 1
    proc = shopfloor("run", "--dry-run", cwd=project)
    assert proc.returncode == 2
    assert (
        f"task_queue.md:{line}: TASK-001: unknown dependency 'TASK-T1'; did you mean TASK-T01?" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_issue_command_writes_in_the_style_of_the_seed_issue_queue(project: Path) -> None:
    path = project / ".orchestrator" / "issue_queue.md"
    shutil.copy(LAYOUTS / "issues_auto_retry.md", path)
    before = path.read_text()
    proc = shopfloor(
        "issue", "Reminders ignore time zones\nThey go out at 09:00 UTC.", "--priority", "high", cwd=project
    )
    assert proc.returncode == 0, proc.stderr
    day = date.today().strftime("%Y%m%d")
    assert f"ISSUE-{day}-001 added" in proc.stdout
    text = path.read_text()
    assert text.startswith(before)
    assert re.search(
        rf"\n---\n\n## ISSUE-{day}-001\n\n\| Field \| Value \|\n\|-------\|-------\|\n"
        r"\| Status \| pending \|\n\| Source \| user \|\n\| Category \| backend \|\n\| Priority \| high \|\n"
        r"\| Created \| [^|]+ \|\n\n"
        r"### Summary\nReminders ignore time zones\n\n### Description\nThey go out at 09:00 UTC\.\n$",
        text,
    ), text
