"""An agent definition: the fields of its file, and the tool names shopfloor provides or only accepts.
`agent_file.py` reads one file; `agent_catalog.py` finds them all and applies precedence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.specs.hook_config import HookCommand
from shopfloor.specs.mcp_config import McpServerConfig
from shopfloor.specs.sources import Origin

__all__ = ["CLAUDE_CODE_ONLY_TOOLS", "SHOPFLOOR_TOOLS", "AgentSpec"]

SHOPFLOOR_TOOLS = (
    "Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "LS", "Bash", "BashOutput", "KillBash",
    "NotebookEdit", "TodoWrite", "WebFetch", "WebSearch", "Agent", "Task", "Skill",
)  # fmt: skip
"""Tools shopfloor provides (`Task` is the older name of `Agent`; an agent is offered the one it names)."""
CLAUDE_CODE_ONLY_TOOLS = (
    "TodoRead", "NotebookRead", "ExitPlanMode", "EnterPlanMode", "SlashCommand", "AskUserQuestion",
    "ListMcpResourcesTool", "ReadMcpResourceTool", "TaskCreate", "TaskGet", "TaskList", "TaskUpdate",
    "TaskOutput", "TaskStop", "SendMessage", "TeamCreate", "TeamDelete", "EnterWorktree", "ExitWorktree",
    "LSP", "ToolSearch",
)  # fmt: skip
"""Claude Code tools an agent file may name; shopfloor accepts the names but does not offer the tools."""


@dataclass
class AgentSpec:
    """One agent: its frontmatter fields and its body, which is the system prompt."""

    name: str
    description: str
    body: str
    source: Path
    origin: Origin
    tools: list[str] | None = None
    """The tool names listed (Claude Code's, some shopfloor lacks); None means every tool, [] none."""
    tool_rules: list[str] = field(default_factory=list)
    """`tools:` entries with a pattern (`Bash(git:*)`): the only calls of that tool the agent may make."""
    disallowed_tools: list[str] = field(default_factory=list)
    denied_rules: list[str] = field(default_factory=list)
    """`disallowedTools:` entries with a pattern (`Bash(rm:*)`): calls refused though the tool stays."""
    model: str | None = None
    skills: list[str] = field(default_factory=list)
    max_turns: int | None = None
    color: str | None = None
    hooks: list[HookCommand] = field(default_factory=list)
    """Hooks active only while this agent runs (its `Stop` hooks are `SubagentStop` ones)."""
    mcp_servers: list[McpServerConfig] = field(default_factory=list)
    """Servers defined in the file itself: started for this agent, stopped at its end."""
    mcp_server_names: list[str] = field(default_factory=list)
    """Configured servers (`.mcp.json`, settings) the file names."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Frontmatter fields shopfloor does not use, kept as written."""
    warnings: list[str] = field(default_factory=list)
    """Non-fatal problems, each as `line N: message`."""

    @property
    def unavailable_tools(self) -> list[str]:
        """Listed tools shopfloor does not provide (the model is not offered them); MCP tools are the
        servers' to provide."""
        return [t for t in self.tools or [] if t not in SHOPFLOOR_TOOLS and not t.startswith("mcp__")]

    @property
    def cannot_start(self) -> str | None:
        """Why the agent cannot run: it lists tools and none of them exists (Claude Code refuses too)."""
        if self.tools and not any(t in SHOPFLOOR_TOOLS or t.startswith("mcp__") for t in self.tools):
            return (
                f"none of the tools in its `tools:` list ({', '.join(self.tools)}) is available in "
                f"shopfloor; list some of {', '.join(SHOPFLOOR_TOOLS)}, or leave `tools:` out to allow all"
            )
        return None
