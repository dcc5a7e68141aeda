"""Per-agent shell state for Bash: working directory, background jobs, sandbox choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopfloor.workspace import Workspace


class ShellSession:
    """State that persists between one agent's Bash calls (the environment does not)."""

    def __init__(self, workspace: Workspace, *, sandbox: bool = True, allow_network: bool = False):
        self.workspace = workspace
        self.cwd = workspace.root
        self.sandbox = sandbox
        self.allow_network = allow_network

    async def aclose(self) -> None:
        """Stop every background job this agent started."""
