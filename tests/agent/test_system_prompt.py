"""The system prompt an agent gets: a prefix every task of the agent shares, then the task's own facts;
and the skills in it, whose reference files the agent can open."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shopfloor.agent.events import Event, ToolAnswered
from shopfloor.agent.loop import AgentLoop
from shopfloor.agent.prompts import AgentTask, system_prompt
from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.models.scripted import ScriptedModel
from shopfloor.specs.sources import builtin_dir
from tests.gitcmd import git_out

pytestmark = pytest.mark.anyio
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "backend-agent.md"
MARKER = {
    "tool": "Write",
    "input": {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "x"},
}


def worktree(root: Path, *, dirty: bool = False) -> Path:
    """A project checkout with the seed agent and a project skill, as each task's worktree has."""
    (root / ".claude" / "agents").mkdir(parents=True)
    shutil.copyfile(SEED, root / ".claude" / "agents" / "backend-agent.md")
    skill = root / ".claude" / "skills" / "house-style"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: house-style\ndescription: Our style.\n---\n\nSee notes.md.\n")
    (skill / "notes.md").write_text("Tabs, not spaces.\n")
    git_out(root, "init", "-q")
    git_out(root, "add", "-A")
    git_out(root, "commit", "-qm", "start")
    if dirty:
        (root / "new.py").write_text("x = 1\n")
    return root.resolve()


def prepared(workdir: Path, task_id: str, turns: list[object] | None = None, **run: object) -> PreparedAgent:
    task = AgentTask(task_id=task_id, objective="Do it.", workdir=workdir)
    model = ScriptedModel(turns or ["done"])
    return prepare(AgentRun(agent="backend-agent", task=task, model=model, **run))  # type: ignore[arg-type]


def loop_of(agent: PreparedAgent) -> AgentLoop:
    assert isinstance(agent.loop, AgentLoop)
    return agent.loop


async def test_tasks_of_one_agent_share_the_prefix_and_differ_after_it(tmp_path: Path) -> None:
    first = prepared(worktree(tmp_path / "tree-alpha"), "TASK-001")
    second = prepared(worktree(tmp_path / "tree-beta-longer", dirty=True), "TASK-002")
    try:
        one, two = loop_of(first).system, loop_of(second).system
        assert one.shared == two.shared
        assert "senior backend developer" in one.shared and '<skill name="backend_security">' in one.shared
        assert "tree-alpha" not in one.shared and "tree-beta-longer" not in two.shared
        assert f"Working directory: {tmp_path.resolve() / 'tree-alpha'}" in one.task
        assert "new.py" in two.task and "new.py" not in one.task  # git status is the task's own
        assert one.shared_ttl == "5m"
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_run_shape_sets_how_long_the_prefix_is_kept(tmp_path: Path) -> None:
    agent = prepared(worktree(tmp_path / "wt"), "TASK-001", cache_ttl="1h")
    try:
        assert loop_of(agent).system.shared_ttl == "1h"
    finally:
        await agent.aclose()


def test_parts_are_ordered_shared_first_and_unknown_parts_are_refused() -> None:
    prompt = system_prompt({"environment": "Working directory: /w", "skills": "S", "agent": " A \n"})
    assert (prompt.shared, prompt.task) == ("A\n\nS", "Working directory: /w")
    assert prompt.text == "A\n\nS\n\nWorking directory: /w"
    assert system_prompt({"agent": "A", "skills": ""}).shared == "A"
    with pytest.raises(ValueError, match="memroy"):
        system_prompt({"memroy": "x"})


async def test_the_agent_reads_a_skill_reference_named_in_its_prompt(tmp_path: Path) -> None:
    """The built-in skills live outside the worktree; their reference files must still open with Read."""
    root = worktree(tmp_path / "wt")
    reference = builtin_dir("skills") / "backend_security" / "references" / "passwords.md"
    events: list[Event] = []
    turns = [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": str(reference)}}]},
        {"tool_calls": [MARKER]},
        "done",
    ]
    agent = prepared(root, "TASK-001", turns, on_event=events.append)
    loop = loop_of(agent)
    try:
        bases = re.findall(r"Base directory for this skill: (\S+)\. Paths", loop.system.shared)
        assert reference.parent.parent in [Path(b) for b in bases]
        result = await loop.run()
    finally:
        await agent.aclose()
    assert result.outcome == "completed"
    (answer,) = [e for e in events if isinstance(e, ToolAnswered) and e.name == "Read"]
    assert not answer.is_error and "argon2id" in answer.content


def test_the_environment_block_names_the_branch_and_what_is_uncommitted(tmp_path: Path) -> None:
    from shopfloor.agent.prompts import environment_block

    root = tmp_path / "repo"
    root.mkdir()
    assert "Is a git repository: no" in environment_block(root)
    git_out(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a\n")
    git_out(root, "add", "-A")
    git_out(root, "commit", "-qm", "one")
    git_out(root, "switch", "-q", "-c", "feature", "--track", "main")
    (root / "a.txt").write_text("b\n")
    block = environment_block(root)
    assert "Git branch: feature\n" in block and block.endswith("Git status:\n M a.txt")
    git_out(root, "switch", "-q", "--detach")
    assert "Git branch: HEAD\n" in environment_block(root)
