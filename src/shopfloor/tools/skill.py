"""Skill: hand the model the full instructions of a named skill."""

from __future__ import annotations

import difflib
from typing import ClassVar

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext


class SkillInput(ToolInput):
    skill: str = Field(description='Name of the skill to load, exactly as listed (e.g. "backend_security").')
    args: str | None = Field(default=None, description="Optional text passed along to the skill.")


class SkillTool(Tool[SkillInput]):
    name: ClassVar[str] = "Skill"
    description: ClassVar[str] = (
        "Load a skill by name. A skill is a packaged set of instructions for one kind of work "
        "(for example API design or database schema work), sometimes with reference files or scripts "
        "beside it. The result is the skill's complete instructions plus the absolute paths of any "
        "bundled files, which you can open with Read.\n\n"
        "Use it when your system prompt lists a skill that fits the work in front of you, before doing "
        "that work. Skills already included in full in your system prompt do not need loading. Pass the "
        "name exactly as listed; `args` is optional extra text for the skill."
    )
    input_model: ClassVar[type[ToolInput]] = SkillInput
    read_only: ClassVar[bool] = True

    async def run(self, args: SkillInput, ctx: ToolContext) -> str:
        source = ctx.skills
        if source is None or not source.names():
            raise ToolError("Error: no skills are installed for this run, so there is nothing to load.")
        wanted = args.skill.strip().lstrip("/")
        text = source.render(wanted, args.args)
        if text is not None:
            if ctx.policy is not None:
                # `allowed-tools` pre-approves calls for the rest of the run, as in Claude Code.
                ctx.policy.grant(source.allowed_tools(wanted), f"the `allowed-tools` of skill {wanted}")
            return text
        names = source.names()
        close = difflib.get_close_matches(wanted, names, n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise ToolError(f"Error: unknown skill `{wanted}`.{hint} Available skills: {', '.join(names)}.")
