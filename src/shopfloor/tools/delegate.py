"""Agent (older name Task): hand a piece of work to another agent and get its final report back."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import Delegation, ToolContext


class AgentInput(ToolInput):
    description: str = Field(description="A short (3-5 word) description of the task.")
    prompt: str = Field(description="The task for the agent: everything it needs to know to do it alone.")
    subagent_type: str = Field(
        default="general-purpose", description="Which agent to use, by name (see the list above)."
    )
    model: Literal["sonnet", "opus", "haiku"] | None = Field(
        default=None, description="A model for this agent instead of the one its file names."
    )
    run_in_background: bool | None = Field(
        default=None, description="Not supported: the agent always finishes before you continue."
    )


class AgentTool(Tool[AgentInput]):
    name: ClassVar[str] = "Agent"
    input_model = AgentInput
    description = (
        "Start another agent on a self-contained piece of work: a search through a large codebase, a "
        "focused investigation, a change in one area. It works in the same files with its own tools and "
        "instructions, sees none of this conversation, and answers once, with a final report that comes "
        "back to you as this tool's result (its intermediate steps do not). So:\n"
        "- Write `prompt` as a complete brief: the goal, what you already know, where to look, and "
        "exactly what it should report back.\n"
        "- Say whether it should change code or only research.\n"
        "- Check what it reports before you rely on it; the user does not see its answer, so pass on "
        "what matters.\n"
        "- For one file or one known symbol, Read, Glob or Grep are quicker than an agent."
    )

    def __init__(self, roster: str = "") -> None:
        self.roster = roster

    def describe(self) -> str:
        listing = self.roster or "(the agents available are listed when a run starts)"
        return f"{self.description}\n\nAvailable agent types:\n{listing}"

    async def run(self, args: AgentInput, ctx: ToolContext) -> str:
        if ctx.delegate is None:
            raise ToolError(f"Error: {self.name} is not available here: no other agent can be started.")
        text = await ctx.delegate(
            Delegation(
                agent=args.subagent_type.strip() or "general-purpose",
                prompt=args.prompt,
                description=args.description,
                model=args.model,
            )
        )
        return text


class TaskTool(AgentTool):
    """The same tool under its 2025 name, for agent files that list `Task`."""

    name: ClassVar[str] = "Task"
