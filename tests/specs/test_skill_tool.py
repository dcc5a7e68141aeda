"""The Skill tool as the model calls it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopfloor.specs.skills import discover_skills
from shopfloor.tools.context import ToolContext
from shopfloor.tools.skill import SkillTool
from tests.specs.conftest import write
from tests.toolcall import call


@pytest.fixture
def skilled_ctx(tool_ctx: ToolContext, tmp_path: Path) -> ToolContext:
    project = tmp_path / "project"
    folder = project / ".claude/skills/deploy"
    write(folder / "SKILL.md", "---\nname: deploy\ndescription: Ship it.\n---\n\nRun the deploy checklist.\n")
    write(folder / "checklist.md", "- tests pass\n")
    tool_ctx.skills = discover_skills(project, home=tmp_path / "home")
    return tool_ctx


@pytest.mark.anyio
async def test_loads_a_skill_with_its_bundled_files(skilled_ctx: ToolContext, tmp_path: Path) -> None:
    result = await call(SkillTool(), skilled_ctx, skill="deploy", args="to staging")
    assert not result.is_error
    assert "Run the deploy checklist." in result.content
    assert str((tmp_path / "project/.claude/skills/deploy/checklist.md").resolve()) in result.content
    assert "ARGUMENTS: to staging" in result.content


@pytest.mark.anyio
async def test_builtin_skills_load_by_name(skilled_ctx: ToolContext) -> None:
    result = await call(SkillTool(), skilled_ctx, skill="backend_security")
    assert not result.is_error and "OWASP API Security Top 10" in result.content


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["api_development", "backend_security", "database_designer"])
async def test_a_builtin_skill_says_where_its_reference_files_are(
    skilled_ctx: ToolContext, name: str
) -> None:
    result = await call(SkillTool(), skilled_ctx, skill=name)
    assert not result.is_error
    base = re.search(
        r"Base directory for this skill: (\S+)\. Paths it names are relative to it", result.content
    )
    assert base is not None
    named = re.findall(r"`(references/[\w.-]+\.md)`", result.content)
    assert named and all((Path(base.group(1)) / n).is_file() for n in named)
    assert "Files bundled with this skill" not in result.content  # the text names every one already


@pytest.mark.anyio
async def test_unknown_skill_is_an_error_listing_the_available_ones(skilled_ctx: ToolContext) -> None:
    result = await call(SkillTool(), skilled_ctx, skill="deplyo")
    assert result.is_error
    assert "unknown skill `deplyo`" in result.content
    assert "Did you mean `deploy`?" in result.content
    for name in ("deploy", "api_development", "database_designer", "backend_security"):
        assert name in result.content


@pytest.mark.anyio
async def test_missing_skill_parameter_is_named(skilled_ctx: ToolContext) -> None:
    result = await call(SkillTool(), skilled_ctx, args="x")
    assert result.is_error and "`skill` is missing" in result.content


@pytest.mark.anyio
async def test_no_skill_source_is_a_clear_error(tool_ctx: ToolContext) -> None:
    result = await call(SkillTool(), tool_ctx, skill="deploy")
    assert result.is_error and "no skills" in result.content


def test_tool_is_read_only_and_its_schema_requires_skill() -> None:
    schema = SkillTool.input_schema()
    assert SkillTool.name == "Skill" and SkillTool.read_only
    assert schema["required"] == ["skill"]
    assert set(schema["properties"]) == {"skill", "args"}
    assert schema["additionalProperties"] is False
