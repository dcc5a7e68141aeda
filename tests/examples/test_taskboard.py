"""The demo's example project and the scripted agent runs that `shopfloor demo` plays on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shopfloor.assets.demo_script import DECOMPOSITION, GATE_RETRY_TASK, TASK_IDS, script_for
from shopfloor.gate.security.checklist import run_checklist
from shopfloor.layout import Layout
from shopfloor.models.script import ScriptTurn, load_script
from shopfloor.queue.tasks import parse_task_queue, validate
from shopfloor.tools.bash import BashTool
from shopfloor.tools.context import ToolContext
from shopfloor.tools.edit import EditTool
from shopfloor.tools.glob import GlobTool
from shopfloor.tools.grep import GrepTool
from shopfloor.tools.read import ReadTool
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.workspace import ReadState, Workspace
from shopfloor.tools.write import WriteTool
from tests.toolcall import call

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "taskboard"
TOOLS: dict[str, Any] = {
    t.name: t for t in (ReadTool(), WriteTool(), EditTool(), GlobTool(), GrepTool(), BashTool())
}
GIT_ID = ["-c", "user.name=Demo", "-c", "user.email=demo@example.invalid", "-c", "commit.gpgsign=false"]


def copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db"))
    return dest


def example_tests(tree: Path) -> subprocess.CompletedProcess[str]:
    """The example's own suite, run as a person would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def git(tree: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_ID, *args], cwd=tree, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def attempts(turns: list[ScriptTurn]) -> Iterator[list[ScriptTurn]]:
    """Split a script into agent runs: each ends with a turn that calls no tool (the final answer)."""
    current: list[ScriptTurn] = []
    for turn in turns:
        current.append(turn)
        if not turn.tool_calls:
            yield current
            current = []
    assert not current, "a script must end with a final text turn"


class Agent:
    """One agent's tool state across its runs, playing scripted turns with shopfloor's real tools."""

    def __init__(self, tree: Path, task_id: str):
        self.tree = tree
        self.variables = {"workdir": str(tree), "task_id": task_id}
        # Decomposition works in the project itself and may write only its queue and marker, as in a run.
        layout = Layout(tree)
        planning = task_id == DECOMPOSITION
        ws = Workspace(tree, writable=[layout.marker_dir, layout.task_queue] if planning else None)
        self.ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws))
        self.runs = list(attempts(load_script(script_for(task_id)).turns))
        self.commands: list[str] = []

    async def play(self, run: int) -> None:
        for turn in self.runs[run]:
            for tool_call in turn.filled(self.variables).tool_calls:
                result = await call(TOOLS[tool_call.tool], self.ctx, **tool_call.input)
                assert not result.is_error, f"{tool_call.tool} {tool_call.input}: {result.content}"
                if tool_call.tool == "Bash":
                    self.commands.append(str(tool_call.input["command"]))

    async def close(self) -> None:
        await self.ctx.shell.aclose()


@pytest.fixture
def python_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scripts run `python -m pytest`; make `python` the interpreter that has the example's deps."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def test_example_suite_passes_as_shipped(tmp_path: Path) -> None:
    done = example_tests(copy_example(tmp_path / "taskboard"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout


@pytest.mark.anyio
async def test_example_has_no_security_findings_as_shipped() -> None:
    assert await run_checklist(EXAMPLE) == []


def test_every_script_loads_and_names_only_agent_tools() -> None:
    for name in [DECOMPOSITION, *TASK_IDS]:
        turns = load_script(script_for(name)).turns
        used = {c.tool for t in turns for c in t.tool_calls}
        assert used <= set(TOOLS), f"{name}: {used - set(TOOLS)}"
        assert not turns[-1].tool_calls, f"{name} must end with a final answer"


def test_unknown_run_has_no_script() -> None:
    with pytest.raises(FileNotFoundError, match="TASK-009"):
        script_for("TASK-009")


@pytest.mark.anyio
async def test_decomposition_writes_a_valid_queue(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "project")
    agent = Agent(root, DECOMPOSITION)
    try:
        await agent.play(0)
    finally:
        await agent.close()

    queue = parse_task_queue((root / ".orchestrator" / "task_queue.md").read_text())
    assert validate(queue) == []
    assert queue.ids == list(TASK_IDS)
    assert {t.id: t.dependencies for t in queue} == {
        "TASK-001": [],
        "TASK-002": [],
        "TASK-003": ["TASK-001"],
        "TASK-004": ["TASK-001", "TASK-002"],
        "TASK-005": ["TASK-001", "TASK-003"],
    }
    assert {t.complexity for t in queue} == {"easy", "normal", "complex"}
    assert {t.category for t in queue} == {"backend"}
    assert (root / ".orchestrator" / "complete" / "decomposition.done").is_file()


@pytest.mark.slow
@pytest.mark.anyio
async def test_scripted_tasks_merge_cleanly_and_the_result_passes(
    tmp_path: Path, python_on_path: None
) -> None:
    """Plays the five task scripts in worktrees the way the pipeline schedules them, then merges.

    TASK-001 and TASK-002 start from the base; TASK-003 and TASK-004 from the branch with both merged;
    TASK-005 starts once TASK-003 is merged, while TASK-004 is still unmerged.
    """
    root = copy_example(tmp_path / "project")
    git(root, "init", "-q", "-b", "main")
    (root / ".git" / "info" / "exclude").write_text(".orchestrator/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Taskboard skeleton")

    agents: dict[str, Agent] = {}

    def start(task_id: str) -> Agent:
        tree = root / ".orchestrator" / "worktrees" / task_id
        git(root, "worktree", "add", "-q", "-b", f"task/{task_id}", str(tree), "main")
        agents[task_id] = Agent(tree, task_id)
        return agents[task_id]

    def finish(task_id: str) -> None:
        tree = agents[task_id].tree
        git(tree, "add", "-A")
        git(tree, "commit", "-q", "-m", f"{task_id}: scripted work")

    def merge(task_id: str) -> None:
        git(root, "merge", "--no-ff", "-q", "-m", f"Merge {task_id}", f"task/{task_id}")

    try:
        for task_id in ("TASK-001", "TASK-002"):
            start(task_id)
        for task_id in ("TASK-001", "TASK-002"):
            await agents[task_id].play(0)
            finish(task_id)
            merge(task_id)

        for task_id in ("TASK-003", "TASK-004"):
            start(task_id)
        task3 = agents[GATE_RETRY_TASK]
        await task3.play(0)
        # What the gate sees after the first attempt: SQL formatted with an f-string, a high finding.
        # (Review items stay: members may edit any task by design, which the checklist flags at medium.)
        first = await run_checklist(task3.tree, use_bandit=False, use_detect_secrets=False)
        high = [(f.file, f.rule_id) for f in first if f.severity == "high"]
        assert high == [("app/tasks.py", "sql-injection")]
        await task3.play(1)
        fixed = await run_checklist(task3.tree, use_bandit=False, use_detect_secrets=False)
        assert [f for f in fixed if f.severity == "high"] == []
        finish("TASK-003")
        merge("TASK-003")

        start("TASK-005")
        await agents["TASK-004"].play(0)
        finish("TASK-004")
        merge("TASK-004")
        await agents["TASK-005"].play(0)
        finish("TASK-005")
        merge("TASK-005")
    finally:
        for agent in agents.values():
            await agent.close()

    for task_id, agent in agents.items():
        assert "python -m pytest -q" in agent.commands, f"{task_id} never ran the tests"
        assert (agent.tree / ".orchestrator" / "complete" / f"{task_id}.done").is_file()

    done = example_tests(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    high = [f for f in await run_checklist(root) if f.severity == "high"]
    assert high == []
