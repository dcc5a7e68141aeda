"""What a model receives as one agent: the system prompt's parts, the tools and the rules on them.

Shared by a task's agent and the agents it delegates to, and printed by `shopfloor agents --show`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.agent.prompts import environment_block, system_prompt
from shopfloor.config.sections import ToolSettings
from shopfloor.models.base import CacheTTL, SystemPrompt
from shopfloor.specs.agent_catalog import AgentCatalog
from shopfloor.specs.agents import SHOPFLOOR_TOOLS, AgentSpec
from shopfloor.specs.claude_settings import PermissionRule
from shopfloor.specs.mcp_config import server_key
from shopfloor.specs.memory import ProjectMemory, load_memory
from shopfloor.specs.skills import SkillCatalog
from shopfloor.specs.tool_rules import parse_rule, rule_applies_to
from shopfloor.tools.base import Tool
from shopfloor.tools.policy import ToolPolicy
from shopfloor.tools.registry import agent_toolset
from shopfloor.tools.toolset import Toolset


@dataclass
class Composition:
    """One agent, ready for a model: its system prompt, tools and tool rules, and what went into them."""

    system: SystemPrompt
    toolset: Toolset
    policy: ToolPolicy
    memory: ProjectMemory
    warnings: list[str] = field(default_factory=list)
    injected_skills: list[str] = field(default_factory=list)
    """Skills whose full text is in the system prompt (the agent's `skills:`)."""
    listed_skills: list[str] = field(default_factory=list)
    """Skills named in the system prompt for the Skill tool to load."""
    cannot_start: str | None = None
    """Why the agent cannot run with the tools it ends up with (its file's reason, or missing servers)."""


def compose(
    spec: AgentSpec,
    workdir: Path,
    *,
    skills: SkillCatalog,
    agents: AgentCatalog | None,
    settings: ToolSettings,
    depth: int = 0,
    home: Path | None = None,
    shared_ttl: CacheTTL = "5m",
    permissions: Sequence[PermissionRule] = (),
    mcp_tools: Sequence[Tool[Any]] = (),
    installed: bool = False,
    status: str | None = None,
) -> Composition:
    """The agent `spec` working in `workdir`, `depth` delegations below a task's own agent.

    `permissions` (Claude Code's settings) can only take away: a bare deny drops the tool, the rest
    refuse calls. `mcp_tools` are the MCP servers' tools, filtered by `tools:` like the built-in ones.
    `installed`: the project's dependencies were set up in `workdir` before the task's agent started.
    `status`: the working directory's `git_status`, when it was read already.
    """
    list_others = spec.tools is None or "Skill" in spec.tools
    skill_text, warnings = skills.system_prompt_section(spec.skills, list_others=list_others, workdir=workdir)
    warnings = [*spec.warnings, *warnings]
    roster = roster_of(agents) if agents is not None and depth < settings.agent_depth else None
    toolset = agent_toolset(spec.tools, spec.disallowed_tools, has_skills=bool(skills.names()), roster=roster)
    toolset = toolset.extended(t for t in mcp_tools if _mcp_listed(t.name, spec.tools, spec.disallowed_tools))
    denied = [parse_rule(p.rule.tool) for p in permissions if p.kind == "deny" and p.rule.specifier is None]
    toolset = toolset.filtered([n for n in toolset.names if not any(rule_applies_to(r, n) for r in denied)])
    memory = load_memory(workdir, home=home)
    parts = {"agent": spec.body, "memory": memory.render(), "skills": skill_text}
    system = system_prompt(
        {**parts, "environment": environment_block(workdir, installed=installed, status=status)},
        shared_ttl=shared_ttl,
    )
    policy = ToolPolicy.of(workdir, spec.tool_rules, spec.denied_rules, web=settings.web)
    policy.settings = list(permissions)
    policy.home = home
    injected = [name for name in dict.fromkeys(spec.skills) if skills.get(name) is not None]
    for name in injected:
        policy.grant(skills.allowed_tools(name), f"the `allowed-tools` of skill {name}")
    listed = [s.name for s in skills.all() if s.name not in injected] if list_others else []
    served = [t.name for t in mcp_tools]
    blocked = spec.cannot_start or _servers_missing(spec, toolset.names, served, warnings)
    return Composition(system, toolset, policy, memory, warnings, injected, listed, blocked)


def _mcp_listed(name: str, allowed: list[str] | None, denied: list[str]) -> bool:
    """Whether `tools:`/`disallowedTools:` let an MCP tool through (by its name, or its server's)."""
    server = name.rsplit("__", 1)[0]
    if name in denied or server in denied:
        return False
    return allowed is None or name in allowed or server in allowed


def _servers_missing(
    spec: AgentSpec, offered: list[str], served: list[str], warnings: list[str]
) -> str | None:
    """Warn of listed MCP tools, and named servers, that no server provides; refuse to start when
    nothing at all is left."""
    wanted = [t for t in spec.tools or [] if t.startswith("mcp__")]
    missing = [t for t in wanted if t not in offered and not any(o.startswith(t + "__") for o in offered)]
    if missing:
        warnings.append(
            f"no running MCP server provides {', '.join(missing)} (see `shopfloor mcp list`); "
            "the agent is not offered them"
        )
    named = [
        n for n in spec.mcp_server_names if not any(t.startswith(f"mcp__{server_key(n)}__") for t in served)
    ]
    if named:
        warnings.append(
            f"its `mcpServers` names {', '.join(named)}, which no configured server that started provides "
            "(see `shopfloor mcp list`)"
        )
    if spec.tools and not offered and missing:
        return (
            f"none of the tools in its `tools:` list ({', '.join(spec.tools)}) is available: its MCP "
            "servers are not configured or did not start (see `shopfloor mcp list`)"
        )
    return None


def roster_of(agents: AgentCatalog) -> str:
    """The agents a delegation tool may start, one line each, as its description lists them."""
    lines = []
    for spec in agents.all():
        if spec.extra.get("command") or spec.cannot_start:
            continue
        offered = [t for t in spec.tools or [] if t in SHOPFLOOR_TOOLS]
        tools = "all tools" if spec.tools is None else ", ".join(offered) or "no tools"
        about = " ".join(spec.description.split())
        if len(about) > 300:
            about = about[:297].rstrip() + "..."
        lines.append(f"- {spec.name}: {about} (Tools: {tools})")
    return "\n".join(lines)
