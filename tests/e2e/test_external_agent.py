"""Agents driven by another program: shopfloor runs their `command:` and waits for the marker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WRITER = """---
name: ext-agent
description: An external program that does the task and writes the marker.
command: python3 "$SHOPFLOOR_WORKDIR/agent.py"
---
Runs agent.py.
"""

AGENT_PY = """import os, pathlib, time
prompt = pathlib.Path(os.environ["SHOPFLOOR_PROMPT_FILE"]).read_text()
work = pathlib.Path(os.environ["SHOPFLOOR_WORKDIR"])
(work / "seen_prompt.txt").write_text(prompt)
(work / "done.txt").write_text("external work\\n")
marker = pathlib.Path(os.environ["SHOPFLOOR_MARKER"])
marker.parent.mkdir(parents=True, exist_ok=True)
time.sleep(0.3)
marker.write_text("done")
time.sleep(30)  # a program that lingers after its marker is stopped by shopfloor
"""


def project(tmp_path: Path, agent_py: str) -> Path:
    root = tmp_path / "proj"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "ext-agent.md").write_text(WRITER)
    (root / "agent.py").write_text(agent_py)
    return root


def agent_run(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", "agent", "run", "ext-agent", "--task-id", "TASK-009",
         "--objective", "Write done.txt.", "--criteria", "done.txt exists", "--workdir", str(root),
         "--json", *extra],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_external_agent_gets_the_task_prompt_and_completes_on_its_marker(tmp_path: Path) -> None:
    root = project(tmp_path, AGENT_PY)
    proc = agent_run(root)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert json.loads(proc.stdout)["outcome"] == "completed"
    assert (root / "done.txt").read_text() == "external work\n"
    prompt = (root / "seen_prompt.txt").read_text()
    assert prompt.startswith(f"WORKING_DIR: {root}\nTASK_ID: TASK-009\n")
    assert "OBJECTIVE: Write done.txt." in prompt


def test_external_agent_that_exits_without_marker_ends_incomplete(tmp_path: Path) -> None:
    root = project(tmp_path, "print('I did nothing')\n")
    proc = agent_run(root)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["outcome"] == "incomplete"
    assert "exited without writing" in result["reason"]
    transcript = Path(result["transcript"]).read_text()
    assert "I did nothing" in transcript
