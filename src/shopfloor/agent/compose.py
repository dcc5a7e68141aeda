"""What a model receives as one agent: the system prompt's parts, the tools and the rules on them.

Shared by a task's agent and the agents it delegates to, and printed by `shopfloor agents --show`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.agent.prompts import environment_block, system_prompt
from shopfloor.config.sections import ToolSettings
from shopfloor.models.base import CacheTTL, SystemPrompt
from shopfloor.specs.agents import SHOPFLOOR_TOOLS, AgentCatalog, AgentSpec
from shopfloor.specs.memory import ProjectMemory, load_memory
from shopfloor.specs.skills import SkillCatalog
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
    installed: bool = False,
) -> Composition:
    """The agent `spec` working in `workdir`, `depth` delegations below a task's own agent; `installed`:
    the project's dependencies were set up in `workdir` before the task's agent started."""
    skill_text, warnings = skills.system_prompt_section(spec.skills, workdir=workdir)
    warnings = [*spec.warnings, *warnings]
    roster = roster_of(agents) if agents is not None and depth < settings.agent_depth else None
    toolset = agent_toolset(spec.tools, spec.disallowed_tools, has_skills=bool(skills.names()), roster=roster)
    list_others = spec.tools is None or "Skill" in spec.tools
    if not list_others:
        skill_text, _ = skills.system_prompt_section(spec.skills, list_others=False, workdir=workdir)
    memory = load_memory(workdir, home=home)
    parts = {"agent": spec.body, "memory": memory.render(), "skills": skill_text}
    system = system_prompt(
        {**parts, "environment": environment_block(workdir, installed=installed)}, shared_ttl=shared_ttl
    )
    policy = ToolPolicy.of(workdir, spec.tool_rules, spec.denied_rules, web=settings.web)
    injected = [name for name in dict.fromkeys(spec.skills) if skills.get(name) is not None]
    for name in injected:
        policy.grant(skills.allowed_tools(name), f"the `allowed-tools` of skill {name}")
    listed = [s.name for s in skills.all() if s.name not in injected] if list_others else []
    return Composition(system, toolset, policy, memory, warnings, injected, listed)


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
