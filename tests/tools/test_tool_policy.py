"""Pattern rules on an agent's tools (`Bash(git:*)`), enforced on every call through the toolset."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.specs.skills import discover_skills
from shopfloor.tools.base import ToolResult
from shopfloor.tools.bash import BashTool
from shopfloor.tools.context import ToolContext
from shopfloor.tools.policy import ToolPolicy
from shopfloor.tools.skill import SkillTool
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.write import WriteTool
from tests.specs.conftest import write

pytestmark = pytest.mark.anyio


@pytest.fixture
async def ctx(tool_ctx: ToolContext) -> ToolContext:
    await tool_ctx.shell.notice_once()
    return tool_ctx


def with_rules(ctx: ToolContext, allow: list[str], deny: tuple[str, ...] = ()) -> ToolContext:
    ctx.policy = ToolPolicy.of(ctx.workspace.root, allow, deny)
    return ctx


async def bash(ctx: ToolContext, command: str) -> ToolResult:
    return await Toolset([BashTool()]).call("Bash", {"command": command}, ctx)


async def test_only_matching_commands_run_and_others_get_an_error_naming_the_rule(ctx: ToolContext) -> None:
    with_rules(ctx, ["Bash(echo:*)", "Bash(pwd)"])
    ok = await bash(ctx, "echo hello && pwd")
    assert not ok.is_error and "hello" in ok.content
    refused = await bash(ctx, "echo hi; touch made.txt")
    assert refused.is_error
    assert (
        "Bash(echo:*), Bash(pwd)" in refused.content and "`touch made.txt` does not match" in refused.content
    )
    assert not (ctx.workspace.root / "made.txt").exists()  # nothing of the line ran
    assert (await bash(ctx, "echoes")).is_error  # the word boundary of `:*`


async def test_cd_inside_a_line_is_allowed_and_substitution_is_refused(ctx: ToolContext) -> None:
    (ctx.workspace.root / "sub").mkdir()
    with_rules(ctx, ["Bash(ls:*)"])
    listed = await bash(ctx, f"cd {ctx.workspace.root} && ls")
    assert not listed.is_error and "sub" in listed.content
    sneaky = await bash(ctx, "ls $(touch pwned)")
    assert sneaky.is_error and "`$(`" in sneaky.content
    assert not (ctx.workspace.root / "pwned").exists()


async def test_deny_rules_refuse_any_matching_part(ctx: ToolContext) -> None:
    with_rules(ctx, [], ("Bash(rm:*)",))
    assert not (await bash(ctx, "echo free")).is_error
    refused = await bash(ctx, "echo a && rm -rf nothing")
    assert refused.is_error and "Bash(rm:*)" in refused.content and "disallowedTools" in refused.content


async def test_tools_without_rules_are_untouched(ctx: ToolContext) -> None:
    with_rules(ctx, ["Bash(git:*)"])
    result = await Toolset([WriteTool()]).call(
        "Write", {"file_path": str(ctx.workspace.root / "a.txt"), "content": "x"}, ctx
    )
    assert not result.is_error


async def test_a_skill_in_use_adds_its_allowed_tools(ctx: ToolContext, tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(
        project / ".claude/skills/greeter/SKILL.md",
        "---\ndescription: Greets.\nallowed-tools: Bash(printf:*)\n---\nGreet with printf.\n",
    )
    ctx.skills = discover_skills(project, home=tmp_path / "home")
    with_rules(ctx, ["Bash(echo:*)"])
    tools = Toolset([BashTool(), SkillTool()])
    before = await tools.call("Bash", {"command": "printf hi"}, ctx)
    assert before.is_error
    loaded = await tools.call("Skill", {"skill": "greeter"}, ctx)
    assert not loaded.is_error
    after = await tools.call("Bash", {"command": "printf hi && echo there"}, ctx)
    assert not after.is_error and "hi" in after.content and "there" in after.content


async def test_webfetch_network_follows_settings_and_domain_rules(ctx: ToolContext) -> None:
    policy = ToolPolicy.of(ctx.workspace.root, ["WebFetch(domain:docs.python.org)"], [])
    assert policy.fetch_allowed("https://docs.python.org/3/")
    assert not policy.fetch_allowed("https://example.com/")
    assert policy.refusal("WebFetch", {"url": "https://example.com/", "prompt": "x"}) is not None
    anywhere = ToolPolicy.of(ctx.workspace.root, [], [], web=True)
    assert anywhere.fetch_allowed("https://example.com/")
