"""What the containment must not break: read-only git in Bash (status, diff, log, show) in a task's
worktree, writing the workspace and the marker, and an honest task through `shopfloor run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.orchestrator.worktrees import create_worktree
from shopfloor.tools.bash import BashTool
from tests.security.hostile import agent_ctx, bash, finish, make_project, scripts, shopfloor, tool_answers
from tests.toolcall import call

pytestmark = pytest.mark.anyio

READ_ONLY_GIT = (
    "git status --short",
    "git diff",
    "git diff --stat HEAD",
    "git log --oneline -3",
    "git show --stat HEAD",
    "git rev-parse --abbrev-ref HEAD",
    "git branch --list",
    "git ls-files",
    "git blame README.md",
)


async def test_read_only_git_works_in_a_worktree_inside_the_sandbox(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    wt = create_worktree(project, "TASK-001", "main", [])
    (wt.path / "README.md").write_text("changed\n")
    (wt.path / "new.py").write_text("N = 1\n")
    ctx = agent_ctx(wt.path)
    try:
        answers = {c: await call(BashTool(), ctx, command=c) for c in READ_ONLY_GIT}
        marker = await call(BashTool(), ctx, command="echo done > .orchestrator/complete/TASK-001.done")
    finally:
        await ctx.shell.aclose()
    for command, res in answers.items():
        assert not res.is_error, (command, res.content)
    assert "M README.md" in answers["git status --short"].content
    assert "?? new.py" in answers["git status --short"].content
    assert "+changed" in answers["git diff"].content
    assert "init" in answers["git log --oneline -3"].content
    assert answers["git rev-parse --abbrev-ref HEAD"].content == "shopfloor/TASK-001"
    assert not marker.is_error and (wt.path / ".orchestrator" / "complete" / "TASK-001.done").is_file()


def test_an_honest_agent_s_git_and_tests_work_through_a_run(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    honest = [
        bash("git status --short && git log --oneline -1 && git diff --stat"),
        bash("mkdir -p pkg && echo 'X = 1' > pkg/x.py && python3 -c 'import pkg.x; print(pkg.x.X)'"),
        *finish(),
    ]
    proc = shopfloor("run", "--model", f"scripted:{scripts(tmp_path, {'TASK-001': honest})}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status, imported = tool_answers(project, "TASK-001")
    assert "init" in status and not status.endswith(tuple(f"Exit code {n}" for n in range(1, 256)))
    assert imported == "1"
    assert (project / "pkg" / "x.py").read_text() == "X = 1\n" and (project / "a.py").is_file()
