"""Per-agent state the tools share: the workspace, what was read, the shell, the skills, and the
services a higher room lends them (a model for side questions, delegation to another agent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from shopfloor.config.sections import ToolSettings

if TYPE_CHECKING:
    from shopfloor.models.base import ModelRequest, ModelResponse
    from shopfloor.tools.policy import ToolPolicy
    from shopfloor.tools.shell import ShellSession
    from shopfloor.tools.todo_list import TodoItem
    from shopfloor.tools.web_page import PageCache
    from shopfloor.tools.workspace import ReadState, Workspace


class SkillSource(Protocol):
    """What the Skill tool needs from the skills catalog."""

    def render(self, name: str, args: str | None = None) -> str | None:
        """The full instructions for skill `name` (with bundled file paths), or None if unknown."""
        ...

    def names(self) -> list[str]: ...

    def allowed_tools(self, name: str) -> list[str]:
        """The skill's `allowed-tools` rules."""
        ...


class SideModel(Protocol):
    """A model the tools may ask a question of (WebFetch's page reader, WebSearch's searcher).

    The agent room provides it: it picks the model, counts the spend in the agent's budget and
    records the call in the transcript.
    """

    @property
    def provider(self) -> str: ...

    async def ask(self, request: ModelRequest, *, purpose: str) -> ModelResponse: ...


@dataclass(frozen=True)
class Delegation:
    """One Task/Agent call: which agent, what to tell it, and the model it asked for."""

    agent: str
    prompt: str
    description: str
    model: str | None = None


class Delegate(Protocol):
    """Runs another agent on a delegated prompt and returns its final text (the agent room's loop)."""

    async def __call__(self, job: Delegation) -> str: ...


@dataclass(frozen=True)
class PreToolVerdict:
    """What the hooks run before a call decided: refuse it, change its input, add to its answer."""

    refusal: str | None = None
    updated_input: dict[str, Any] | None = None
    context: str | None = None


class ToolHooks(Protocol):
    """Claude Code's PreToolUse and PostToolUse hooks, run by the agent room around every call."""

    async def before_tool(self, name: str, args: dict[str, Any], call_id: str) -> PreToolVerdict: ...

    async def after_tool(self, name: str, args: dict[str, Any], call_id: str, output: str) -> str:
        """What the model sees of a call that succeeded (`output`, or what the hooks make of it)."""
        ...


@dataclass
class ToolContext:
    workspace: Workspace
    read_state: ReadState
    shell: ShellSession
    skills: SkillSource | None = None
    notices: list[str] = field(default_factory=list)
    """One-time notices for the run (for example: commands are not sandboxed)."""
    policy: ToolPolicy | None = None
    """Pattern rules on the agent's tools (`Bash(git:*)`) and what may reach the network."""
    settings: ToolSettings = field(default_factory=ToolSettings)
    todos: list[TodoItem] = field(default_factory=list)
    """The agent's task list, as TodoWrite last set it."""
    on_todos: Callable[[list[TodoItem]], None] | None = None
    side_model: SideModel | None = None
    delegate: Delegate | None = None
    pages: PageCache | None = None
    """WebFetch's cache; shared by an agent and the agents it delegates to."""
    hooks: ToolHooks | None = None
