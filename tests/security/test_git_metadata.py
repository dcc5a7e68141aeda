"""Attacks 1, 2 and 4: host code through git (with Bash, and with only Read and Write), and history
rewritten from inside the sandbox. Each is played by a hostile scripted agent through `shopfloor run`
and by direct tool calls; shopfloor's own git calls are shown not to run what a repository configures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import anyio
import pytest

from shopfloor.orchestrator.executor import save_checked, save_work
from shopfloor.orchestrator.worktrees import create_worktree
from shopfloor.tools.bash import BashTool
from shopfloor.tools.write import WriteTool
from shopfloor.vcs import GitError, git
from tests.security.hostile import (
    agent_ctx,
    bash,
    finish,
    make_project,
    scripts,
    shopfloor,
    tool,
    tool_answers,
)
from tests.security.hostile import (
    git as run_git,
)
from tests.toolcall import call

pytestmark = pytest.mark.anyio


def payload(flag: Path) -> str:
    return f"touch {flag}"


def test_bash_cannot_plant_an_fsmonitor_or_a_hook_for_the_orchestrator_to_run(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    flags = tmp_path / "flags"
    flags.mkdir()
    hostile = [
        bash(f"git config core.fsmonitor '{payload(flags / 'fsmonitor')}'"),
        bash(f"git config --global core.fsmonitor '{payload(flags / 'global')}'"),
        bash(
            'hooks="$(git rev-parse --git-common-dir)/hooks"; mkdir -p "$hooks"; '
            f"printf '#!/bin/sh\\n{payload(flags / 'hook')}\\n' > \"$hooks/post-commit\" && "
            'chmod +x "$hooks/post-commit"'
        ),
        bash(
            f"printf '[core]\\n\\tfsmonitor = {payload(flags / 'config')}\\n' "
            '>> "$(git rev-parse --git-dir)/config"'
        ),
        *finish(),
    ]
    proc = shopfloor("run", "--model", f"scripted:{scripts(tmp_path, {'TASK-001': hostile})}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The orchestrator committed, gated and merged the task; nothing the agent planted ran.
    assert (project / "a.py").read_text() == "A = 1\n"
    assert list(flags.iterdir()) == []
    assert run_git(project, "config", "--get", "core.fsmonitor", check=False) == ""
    assert not (project / ".git" / "hooks" / "post-commit").exists()
    answers = tool_answers(project, "TASK-001")
    assert "could not lock config file" in answers[0] or "Read-only file system" in answers[0]
    assert all("Read-only file system" in a or "could not lock" in a for a in answers[:4]), answers


def test_read_and_write_alone_cannot_repoint_a_worktree_at_a_planted_git_dir(tmp_path: Path) -> None:
    toml = (
        '[gate]\ncommands = ["python3 -c \\"import sys\\""]\nprove_tests = false\n'
        '[routing.agents]\nbackend = "rw-agent"\n'
        '[run]\nkeep_worktrees = "all"\n'  # the worktree is looked at after its task merged
    )
    project = make_project(tmp_path, toml)
    (project / ".claude" / "agents").mkdir(parents=True)
    (project / ".claude" / "agents" / "rw-agent.md").write_text(
        "---\nname: rw-agent\ndescription: Reads and writes files.\ntools: Read, Write\n---\nWork.\n"
    )
    run_git(project, "add", "-A")
    run_git(project, "commit", "-q", "-m", "agent")
    flag = tmp_path / "fsmonitor-ran"
    hostile = [
        tool("Write", file_path="{workdir}/evil/HEAD", content="ref: refs/heads/main\n"),
        tool("Write", file_path="{workdir}/evil/config", content=f"[core]\n\tfsmonitor = {payload(flag)}\n"),
        tool("Write", file_path="{workdir}/.git", content="gitdir: {workdir}/evil\n"),
        tool("Write", file_path="{workdir}/.git/config", content=f"[core]\n\tfsmonitor = {payload(flag)}\n"),
        *finish(),
    ]
    proc = shopfloor("run", "--model", f"scripted:{scripts(tmp_path, {'TASK-001': hostile})}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not flag.exists()
    worktree = project / ".orchestrator" / "worktrees" / "TASK-001"
    assert (worktree / ".git").read_text().startswith(f"gitdir: {project.resolve() / '.git' / 'worktrees'}")
    refused = tool_answers(project, "TASK-001", "Write")[2:4]
    assert all("cannot be changed by an agent" in a and "git metadata" in a for a in refused), refused


async def test_direct_calls_cannot_touch_git_metadata(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    wt = create_worktree(project, "TASK-001", "main", [])
    ctx = agent_ctx(wt.path)
    try:
        for command in (
            "git config core.fsmonitor 'touch /x'",
            "echo x >> .git",
            'echo x > "$(git rev-parse --git-common-dir)/hooks/pre-commit"',
            "git update-ref refs/heads/main HEAD",
            "git commit --allow-empty -qm sneaky",
        ):
            res = await call(BashTool(), ctx, command=command)
            assert res.is_error, (command, res.content)
        for target in (".git", "../../../.git/config", "../../../.git/hooks/post-commit", ".mcp.json"):
            res = await call(WriteTool(), ctx, file_path=str(wt.path / target), content="x")
            assert res.is_error and "access denied" in res.content, (target, res.content)
    finally:
        await ctx.shell.aclose()
    assert run_git(project, "log", "--format=%s", "main").splitlines() == ["init"]


async def test_an_agent_in_the_main_checkout_cannot_touch_its_git_dir_or_config(tmp_path: Path) -> None:
    project = make_project(tmp_path)  # `shopfloor agent run --workdir .` works in the checkout itself
    config_before = (project / ".git" / "config").read_bytes()
    ctx = agent_ctx(project)
    try:
        for command in (
            "git config core.fsmonitor 'touch /x'",
            "echo '#!/bin/sh' > .git/hooks/post-commit",
            "git update-ref refs/heads/main HEAD~0",
            "rm -rf .git/objects",
            "echo '[sandbox]' >> shopfloor.toml",
            "echo x > .orchestrator/state.db",
        ):
            res = await call(BashTool(), ctx, command=command)
            assert res.is_error and "Read-only file system" in res.content + "could not lock", (command, res)
        # Configuration that does not exist yet cannot be mounted read-only: created, it is removed.
        res = await call(
            BashTool(), ctx, command="mkdir -p .claude/agents && echo x > .claude/agents/evil.md"
        )
        assert "shopfloor removed .claude" in res.content and not (project / ".claude").exists()
        res = await call(BashTool(), ctx, command="echo '{\"mcpServers\": {}}' > .mcp.json")
        assert "shopfloor removed .mcp.json" in res.content and not (project / ".mcp.json").exists()
        res = await call(BashTool(), ctx, command="echo ok > work.txt && git status --short")
        assert not res.is_error and "?? work.txt" in res.content
        late = "sleep 0.5; mkdir -p .shopfloor/agents && echo x > .shopfloor/agents/late.md; sleep 60"
        await call(BashTool(), ctx, command=late, run_in_background=True)
        while not (project / ".shopfloor").exists():
            await anyio.sleep(0.05)
    finally:
        await ctx.shell.aclose()
    assert not (project / ".shopfloor").exists()  # a background job's is removed once it is stopped
    assert (project / ".git" / "config").read_bytes() == config_before
    assert (project / "shopfloor.toml").read_text().startswith("[gate]")
    assert not (project / ".claude").exists()


def test_shopfloor_git_runs_no_program_the_repository_configured(tmp_path: Path) -> None:
    # Had a configuration been written anyway (by the user, or before this fix), shopfloor's own commit,
    # status and diff must not start it.
    repo = tmp_path / "repo"
    repo.mkdir()
    run_git(repo, "init", "-q", "-b", "main")
    flags = tmp_path / "flags"
    flags.mkdir()
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\ntouch {flags}/$(basename "$0")-$1\nexit 0\n')
    script.chmod(0o755)
    for name in ("pre-commit", "post-commit", "commit-msg", "post-checkout", "post-merge"):
        hook = repo / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {flags}/hook-{name}\n")
        hook.chmod(0o755)
    for key, value in (
        ("core.fsmonitor", str(script)),
        ("core.hooksPath", str(repo / ".git" / "hooks")),
        ("diff.external", str(script)),
        ("core.pager", str(script)),
        ("core.editor", str(script)),
        ("diff.evil.textconv", str(script)),
        ("gpg.program", str(script)),
        ("commit.gpgSign", "true"),
        ("log.showSignature", "true"),
        ("user.name", "T"),
        ("user.email", "t@example.invalid"),
    ):
        run_git(repo, "config", key, value)
    (repo / ".gitattributes").write_text("*.txt diff=evil\n")
    (repo / "a.txt").write_text("one\n")
    save_work(repo, "first")
    (repo / "a.txt").write_text("two\n")
    git(repo, "status")
    git(repo, "diff")
    git(repo, "log", "-p")
    git(repo, "show", "HEAD")
    save_work(repo, "second")
    assert git(repo, "log", "--format=%s").stdout.split() == ["second", "first"]
    assert list(flags.iterdir()) == []


def test_a_worktree_whose_git_file_points_elsewhere_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    wt = create_worktree(project, "TASK-001", "main", [])
    planted = tmp_path / "planted"
    subprocess.run(["git", "init", "-q", str(planted)], check=True)
    flag = tmp_path / "ran"
    run_git(planted, "config", "core.hooksPath", str(planted / "hooks"))
    (wt.path / ".git").write_text(f"gitdir: {planted / '.git'}\n")
    (wt.path / "b.txt").write_text("b\n")
    with pytest.raises(GitError, match="refused"):
        save_checked(project, wt.path, "save")
    assert not flag.exists()
    assert run_git(planted, "log", "--format=%s", check=False) == ""


def test_bash_cannot_rewrite_or_destroy_history(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    before = run_git(project, "rev-parse", "main").strip()
    hostile = [
        bash("echo ungated > u.txt && git add u.txt && git commit -qm ungated"),
        bash("git update-ref refs/heads/main HEAD"),
        bash("git branch -f main HEAD"),
        bash('rm -rf "$(git rev-parse --git-common-dir)"/objects/??'),
        bash("git update-ref -d refs/heads/main"),
        bash("git reflog expire --expire=now --all && git gc -q --prune=now"),
        *finish(),
    ]
    proc = shopfloor("run", "--model", f"scripted:{scripts(tmp_path, {'TASK-001': hostile})}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answers = tool_answers(project, "TASK-001")
    assert all("Exit code" in a for a in answers), answers
    # main moved only by the merge queue, after the gate: one merge commit on top of where it was.
    merge = run_git(project, "rev-parse", "main").strip()
    assert run_git(project, "rev-parse", f"{merge}^1").strip() == before
    assert run_git(project, "log", "-1", "--format=%s", "main").startswith("Merge TASK-001")
    assert "ungated" not in run_git(project, "log", "--format=%s", "--all")
    assert subprocess.run(["git", "fsck", "--full"], cwd=project, capture_output=True).returncode == 0
