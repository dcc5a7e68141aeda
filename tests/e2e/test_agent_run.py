"""`shopfloor agent run` end to end: the seed file, the real Anthropic SDK, a fake server on loopback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.testing import FakeProvider

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "backend-agent.md"
KEY = "sk-ant-test-0123456789abcdef"
SIX = {"Read", "Write", "Edit", "Glob", "Grep", "Bash"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".claude" / "agents").mkdir(parents=True)
    shutil.copyfile(SEED, root / ".claude" / "agents" / "backend-agent.md")
    (root / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "test_calc.py").write_text(
        "from calc import add\nassert add(2, 3) == 5, add(2, 3)\nprint('ok')\n"
    )
    return root


def run_cli(args: list[str], fake: FakeProvider, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update({"ANTHROPIC_BASE_URL": fake.anthropic_base_url, "ANTHROPIC_API_KEY": KEY})
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def task_args(project: Path, *extra: str) -> list[str]:
    return [
        "agent", "run", "backend-agent", "--task-id", "TASK-001",
        "--objective", "Fix add() in calc.py so it adds.",
        "--criteria", "python3 test_calc.py prints ok",
        "--workdir", str(project), "--json", *extra,
    ]  # fmt: skip


def test_seed_agent_explores_edits_tests_and_writes_marker(project: Path) -> None:
    turns = [
        {"text": "Exploring.", "tool_calls": [{"tool": "Glob", "input": {"pattern": "**/*.py"}}]},
        {"tool_calls": [{"tool": "Grep", "input": {"pattern": "def add\\|return", "path": "{workdir}"}}]},
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "{workdir}/calc.py"}}]},
        {
            "tool_calls": [
                {
                    "tool": "Edit",
                    "input": {
                        "file_path": "{workdir}/calc.py",
                        "old_string": "return a - b",
                        "new_string": "return a + b",
                    },
                }
            ]
        },
        {"tool_calls": [{"tool": "Bash", "input": {"command": "python3 test_calc.py"}}]},
        {
            "tool_calls": [
                {
                    "tool": "Write",
                    "input": {"file_path": ".orchestrator/complete/{task_id}.done", "content": "done"},
                }
            ]
        },
        "Fixed add() and verified it.",
    ]
    with FakeProvider(turns) as fake:
        proc = run_cli(task_args(project), fake, project)
        requests = fake.requests
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result = json.loads(proc.stdout)
    assert result["outcome"] == "completed"
    assert result["turns"] == 7
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert (project / ".orchestrator" / "complete" / "TASK-001.done").read_text() == "done"

    first = requests[0]
    assert "senior backend developer" in first.system  # the seed's body is the system prompt
    assert f"Working directory: {project}" in first.system
    assert set(first.tool_names) == SIX
    prompt = first.body["messages"][0]["content"]
    text = prompt if isinstance(prompt, str) else "".join(b.get("text", "") for b in prompt)
    assert text.startswith(f"WORKING_DIR: {project}\nTASK_ID: TASK-001\n")
    assert "OBJECTIVE: Fix add() in calc.py so it adds." in text
    assert "ACCEPTANCE CRITERIA:\n- python3 test_calc.py prints ok" in text
    assert str(project / ".orchestrator" / "complete" / "TASK-001.done") in text

    # The grep with a basic-regex bar was retried with `|` and found calc.py.
    grep_result = _tool_result(requests[2].body)
    assert "calc.py" in grep_result
    bash_result = _tool_result(requests[5].body)
    assert "ok" in bash_result
    transcript = Path(result["transcript"])
    assert transcript.is_file()
    assert KEY not in transcript.read_text()
    assert all(KEY not in json.dumps(r.body) for r in requests)


def _tool_result(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    last = messages[-1]["content"]
    parts = [b for b in last if b.get("type") == "tool_result"]
    assert parts, last
    content = parts[0]["content"]
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content)
    return str(content)


def test_run_without_marker_is_reminded_twice_then_exits_1(project: Path) -> None:
    with FakeProvider(["I am done.", "Still done.", "Really done."]) as fake:
        proc = run_cli(task_args(project), fake, project)
        requests = fake.requests
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "incomplete"
    assert len(requests) == 3
    reminder = requests[1].body["messages"][-1]["content"]
    assert "TASK-001.done" in json.dumps(reminder)


def test_turn_budget_stops_the_run(project: Path) -> None:
    looping = [{"tool_calls": [{"tool": "Glob", "input": {"pattern": "*.py"}}]}] * 5
    with FakeProvider(looping) as fake:
        proc = run_cli(task_args(project, "--max-turns", "2"), fake, project)
        calls = len(fake.requests)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["outcome"] == "budget_exceeded"
    assert "turn limit" in result["reason"]
    assert calls == 2


def test_tool_outside_the_agents_list_is_refused_with_the_tools_it_has(project: Path) -> None:
    turns = [
        {"tool_calls": [{"tool": "MultiEdit", "input": {"file_path": "calc.py", "edits": []}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": ".orchestrator/complete/TASK-001.done",
                                                    "content": "x"}}]},
        "ok",
    ]  # fmt: skip
    with FakeProvider(turns) as fake:
        proc = run_cli(task_args(project), fake, project)
        answer = _tool_result(fake.requests[1].body)
    assert proc.returncode == 0, proc.stderr
    assert "No such tool available: MultiEdit" in answer
    for name in SIX:
        assert name in answer


def test_malformed_agent_file_is_a_usage_error_naming_file_and_line(project: Path) -> None:
    bad = project / ".claude" / "agents" / "broken.md"
    bad.write_text("---\nname: broken\ndescription: [unclosed\ntools: Read\n---\nbody\n")
    with FakeProvider([]) as fake:
        proc = run_cli(["agent", "run", "broken", "--task-id", "T-1", "--objective", "x",
                        "--workdir", str(project)], fake, project)  # fmt: skip
    assert proc.returncode == 2
    assert "broken.md:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_summary_shows_cache_use_and_what_caching_saved(project: Path) -> None:
    marker = {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "done"}
    turns = [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "{workdir}/calc.py"}}]},
        {"tool_calls": [{"tool": "Write", "input": marker}]},
        "Done.",
    ]
    with FakeProvider(turns) as fake:
        proc = run_cli([a for a in task_args(project) if a != "--json"], fake, project)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("cache:"))
    read, wrote = (int(n.replace(",", "")) for n in re.findall(r"(?:read|wrote) ([\d,]+)", line))
    assert read > wrote > 1000  # the second and third calls read what the first wrote
    assert re.search(r"caching saved \$0\.\d{4}$", line), line


def test_a_scripted_agent_run_loads_no_provider_sdk(project: Path, tmp_path: Path) -> None:
    script = tmp_path / "turns.yaml"
    script.write_text(
        "- tool: Write\n  input: {file_path: '{workdir}/.orchestrator/complete/{task_id}.done', content: x}\n"
        "- Done.\n"
    )
    argv = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "shopfloor",
        *task_args(project, "--model", f"scripted:{script}"),
    ]
    proc = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = {
        ln.rsplit("|", 1)[-1].strip() for ln in proc.stderr.splitlines() if ln.startswith("import time:")
    }
    assert "shopfloor.agent.loop" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in ("anthropic", "openai")) == []
