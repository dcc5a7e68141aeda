"""`shopfloor agents --show NAME [--task-file F]`: exactly what a model would receive as that agent."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopfloor.agent.prompts import AgentTask

EXIT_OK, EXIT_USAGE = 0, 2
PLACEHOLDER_OBJECTIVE = "(the task's objective goes here; pass --task-file to show a real task)"


def show_agent(workdir: Path, name: str, *, task_file: Path | None, as_json: bool) -> int:
    from shopfloor.agent.compose import compose
    from shopfloor.agent.prompts import AgentTask, task_prompt
    from shopfloor.config.loader import ConfigError
    from shopfloor.config.settings import load_settings
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.claude_settings import load_claude_settings
    from shopfloor.specs.skills import discover_skills

    agents = discover_agents(workdir)
    spec = agents.get(name)
    if spec is None:
        return _usage(agents.missing_message(name, "agent"))
    try:
        settings = load_settings(workdir)
    except ConfigError as err:
        return _usage(str(err))
    task = AgentTask(task_id="TASK-000", objective=PLACEHOLDER_OBJECTIVE, workdir=workdir)
    if task_file is not None:
        loaded = _task_from_file(task_file, workdir)
        if isinstance(loaded, str):
            return _usage(loaded)
        task = loaded
    first = task_prompt(task)
    command = spec.extra.get("command")
    if isinstance(command, str) and command.strip():
        print(f"{spec.name} ({spec.source}) is an external program: `{command.strip()}`.")
        print(f"It is started with this prompt in SHOPFLOOR_PROMPT_FILE:\n\n{first}")
        return EXIT_OK
    claude = load_claude_settings(workdir)
    comp = compose(
        spec,
        workdir,
        skills=discover_skills(workdir),
        agents=agents,
        settings=settings.tools,
        permissions=claude.rules,
    )
    tools = comp.toolset.specs()
    rules = [{"kind": r.kind, "rule": r.rule.text, "file": r.where} for r in claude.rules]
    hooks = [{"file": str(h.source), **h.identity()} for h in [*claude.hooks, *spec.hooks]]
    servers = sorted({*claude.servers, *(s.name for s in spec.mcp_servers)})
    memory = [
        {"path": str(f.path), "kind": f.kind, "imported_by": str(f.imported_by) if f.imported_by else None}
        for f in comp.memory.files
    ]
    if as_json:
        print(
            json.dumps(
                {
                    "agent": spec.name,
                    "source": str(spec.source),
                    "model": spec.model or "inherit",
                    "cannot_start": spec.cannot_start,
                    "system": comp.system.text,
                    "system_shared": comp.system.shared,
                    "system_task": comp.system.task,
                    "tools": [t.model_dump() for t in tools],
                    "tool_rules": spec.tool_rules,
                    "denied_rules": spec.denied_rules,
                    "permissions": rules,
                    "hooks": hooks,
                    "mcp_servers": servers,
                    "dropped_tools": spec.unavailable_tools,
                    "skills": {"in_full": comp.injected_skills, "listed": comp.listed_skills},
                    "memory": memory,
                    "memory_skipped": [str(p) for p, _ in comp.memory.skipped],
                    "first_message": first,
                    "warnings": comp.warnings,
                },
                indent=2,
            )
        )
        return EXIT_OK
    out = [f"# Agent {spec.name}", "", f"file: {spec.source} ({spec.origin})"]
    out.append(f"model: {spec.model or 'inherit'}")
    if spec.cannot_start:
        out.append(f"CANNOT START: {spec.cannot_start}")
    out.append(f"tools offered ({len(tools)}): {', '.join(t.name for t in tools) or 'none'}")
    if spec.tool_rules:
        out.append(f"tool rules: only calls matching {', '.join(spec.tool_rules)}")
    if spec.denied_rules:
        out.append(f"tool rules: never calls matching {', '.join(spec.denied_rules)}")
    if spec.unavailable_tools:
        out.append(f"listed but not provided (not offered): {', '.join(spec.unavailable_tools)}")
    for kind in ("deny", "ask", "allow"):
        mine = [f"{r['rule']} ({r['file']})" for r in rules if r["kind"] == kind]
        if mine:
            effect = {
                "deny": "refused",
                "ask": "refused (no one can confirm in an unattended run)",
                "allow": "no effect: settings never widen an agent's tools",
            }[kind]
            out.append(f"permissions {kind} ({effect}): {', '.join(mine)}")
    for hook in hooks:
        matcher = f" [{hook['matcher']}]" if hook["matcher"] else ""
        out.append(f"hook {hook['event']}{matcher}: {hook['command']}")
    if servers:
        out.append(f"MCP servers (their tools: `shopfloor mcp list`): {', '.join(servers)}")
    out.append(f"skills in full: {', '.join(comp.injected_skills) or 'none'}")
    out.append(f"skills listed for the Skill tool: {', '.join(comp.listed_skills) or 'none'}")
    out.append("memory: " + (", ".join(f"{m['path']} ({m['kind']})" for m in memory) or "none"))
    for path, by in comp.memory.skipped:
        out.append(f"memory import skipped (outside the checkout): {path}, named in {by}")
    out += [f"warning: {w}" for w in comp.warnings]
    system = comp.system
    sizes = f"{len(system.text):,} characters: {len(system.shared):,} shared by every task, then the task's"
    out += ["", f"## System prompt ({sizes})", "", system.text, ""]
    out += [f"## Tools ({len(tools)})", ""]
    for tool in tools:
        out += [f"### {tool.name}", "", tool.description, "", json.dumps(tool.input_schema, indent=2), ""]
    out += ["## First user message", "", first]
    print("\n".join(out))
    return EXIT_OK


def _task_from_file(path: Path, workdir: Path) -> AgentTask | str:
    """The first task of a task-queue Markdown file, as the orchestrator would brief it; or an error."""
    from shopfloor.orchestrator.briefs import agent_task
    from shopfloor.queue.tasks import parse_task_queue

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return f"cannot read --task-file {path}: {err}"
    queue = parse_task_queue(text, path)
    tasks = queue.tasks
    if not tasks:
        problems = "; ".join(str(p) for p in queue.problems[:3])
        return (
            f"--task-file {path} holds no usable task (expected `### TASK-ID` blocks as in "
            f".orchestrator/task_queue.md){': ' + problems if problems else ''}"
        )
    return agent_task(tasks[0], workdir)


def _usage(message: str) -> int:
    print(f"shopfloor: {message}", file=sys.stderr)
    return EXIT_USAGE
