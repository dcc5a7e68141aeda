"""`shopfloor run --dashboard` to its end: the page gets the run's last events and says the run finished.

The project's gate waits for a file the test writes (outside /tmp, which the sandboxed check has its own
of), so the page is open and live before the run ends.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from shopfloor.dashboard.data import DashboardData
from tests.dashboard.browser_kit import Pages
from tests.gitcmd import git_out as git

pytestmark = [pytest.mark.slow, pytest.mark.browser]
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
"""
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
TURNS = [
    {"tool_calls": [{"tool": "Write", "input": {"file_path": "{workdir}/a.py", "content": "A = 1\n"}}]},
    {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]},
    "Done.",
]


def test_run_dashboard_delivers_the_end_of_the_run(tmp_path: Path, outside_tmp: Path, pages: Pages) -> None:
    # The gate's check runs in the sandbox, whose /tmp is its own: the file it waits for lies elsewhere.
    go = outside_tmp / "go"
    waiter = outside_tmp / "wait_for_go.py"
    waiter.write_text(f"import os, time\nwhile not os.path.exists({str(go)!r}):\n    time.sleep(0.05)\n")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("sample\n")
    (root / "shopfloor.toml").write_text(f'[gate]\ncommands = ["{sys.executable} {waiter}"]\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "TASK-001.yaml").write_text(yaml.safe_dump(TURNS))

    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopfloor",
            "run",
            "--dir",
            str(root),
            "--model",
            f"scripted:{scripts}",
            "--dashboard",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said: list[str] = []
    try:
        assert run.stderr is not None
        url = ""
        for line in run.stderr:
            said.append(line)
            if found := re.search(r"dashboard: (\S+)", line):
                url = found.group(1)
                break
        assert url, "".join(said)
        rest = threading.Thread(target=lambda: said.extend(run.stderr or []), daemon=True)
        rest.start()

        page = pages.open(url)
        card = page.locator('li.card[data-task="TASK-001"]')
        # The agent works, then the gate waits for `go`.
        expect(card).to_have_attribute("data-status", "verifying", timeout=120_000)
        expect(page.locator("#connection")).to_have_text("Live")
        go.write_text("")

        expect(page.locator("#connection")).to_have_text("Run finished · dashboard stopped", timeout=60_000)
        expect(page.locator("#run-finished")).to_contain_text(
            "Run finished: completed, 1 of 1 task completed"
        )
        expect(page.locator("#server-stopped")).to_contain_text("stopped serving")
        expect(card).to_have_attribute("data-status", "completed")
        expect(page.locator("#run-heading")).to_contain_text("completed")
        assert run.wait(timeout=120) == 0, "".join(said)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    # The run emitted each phase the timeline shows, from the coordinator and the attempt.
    timeline = DashboardData(root).timeline()
    [task] = [r for r in timeline.rows if r.task_id == "TASK-001"]
    assert [s.phase for s in task.spans] == ["setup", "agent", "gate", "merge"]
