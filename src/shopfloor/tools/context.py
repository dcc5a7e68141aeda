"""Per-agent state the tools share: the workspace, what was read, the shell, the skills."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shopfloor.tools.shell import ShellSession
    from shopfloor.tools.workspace import ReadState, Workspace


class SkillSource(Protocol):
    """What the Skill tool needs from the skills catalog."""

    def render(self, name: str, args: str | None = None) -> str | None:
        """The full instructions for skill `name` (with bundled file paths), or None if unknown."""
        ...

    def names(self) -> list[str]: ...


@dataclass
class ToolContext:
    workspace: Workspace
    read_state: ReadState
    shell: ShellSession
    skills: SkillSource | None = None
    notices: list[str] = field(default_factory=list)
    """One-time notices for the run (for example: commands are not sandboxed)."""
