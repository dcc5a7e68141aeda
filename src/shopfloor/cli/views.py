"""Listings for `shopfloor agents` and `shopfloor skills`, and `agents --show` (see agent_show.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from shopfloor.agent.events import (
    Event,
    HookRan,
    ModelReplied,
    Notice,
    RunFinished,
    SubagentFinished,
    SubagentStarted,
    TodosChanged,
    ToolAnswered,
    ToolCalled,
    UserMessage,
)
from shopfloor.cli.safe_text import block
from shopfloor.specs.agents import SHOPFLOOR_TOOLS, AgentSpec

_TODO_MARK = {"pending": "[ ]", "in_progress": "[>]", "completed": "[x]"}


def transcript_lines(events: Iterable[Event]) -> Iterator[str]:
    """A transcript as `shopfloor logs` prints it; sub-agents' steps indented under their call."""
    for ev in events:
        pad = "    " * len(ev.via)
        match ev:
            case ModelReplied():
                label = (
                    f"{ev.via[-1]} "
                    if ev.via and ev.tool_calls == 0 and not ev.via[-1].startswith("sub-")
                    else ""
                )
                head = f"{pad}{label}turn {ev.turn}"
                yield block(f"{head}: ", ev.text, 500) if ev.text.strip() else head
            case ToolCalled():
                sent = ev.raw_input if ev.raw_input is not None else json.dumps(ev.input)
                yield block(f"{pad}  -> {ev.name} ", sent, 300)
            case ToolAnswered():
                flag = " (error)" if ev.is_error else ""
                yield block(f"{pad}  <- {ev.name}{flag}: ", ev.content, 300)
            case UserMessage():
                yield block(f"{pad}user: ", ev.text, 2000)
            case Notice():
                yield block(f"{pad}note: ", ev.message, 2000)
            case TodosChanged():
                yield f"{pad}todos:"
                for item in ev.todos:
                    yield block(f"{pad}  {_TODO_MARK[item.status]} ", item.content, 500)
            case SubagentStarted():
                yield f"{pad}>> {ev.call}: {ev.agent} on {ev.model}: {ev.description}"
            case SubagentFinished():
                yield f"{pad}<< {ev.call}: {ev.agent} {ev.outcome} after {ev.turns} turns" + (
                    f" ({ev.reason})" if ev.reason else ""
                )
            case HookRan():
                said = f" {ev.outcome}" if ev.outcome != "ok" else ""
                yield block(f"{pad}hook {ev.event}{said}: ", f"{ev.command}  {ev.message}".rstrip(), 500)
            case RunFinished():
                yield block("== ", f"{ev.outcome} {ev.reason}".rstrip(), 2000)
            case _:
                pass


def offered_tools(spec: AgentSpec) -> list[str] | None:
    """The tools a model is offered for `spec`: None for all, else its list less what is missing or denied."""
    if spec.tools is None:
        return None
    return [t for t in spec.tools if t in SHOPFLOOR_TOOLS and t not in spec.disallowed_tools]


def show_agents(workdir: Path, *, as_json: bool) -> int:
    """Print agents and their problems; exit 1 when some file has an error."""
    from shopfloor.specs.agent_catalog import discover_agents

    catalog = discover_agents(workdir)
    problems = catalog.problems
    if as_json:
        print(
            json.dumps(
                {
                    "agents": [
                        {
                            "name": a.name,
                            "model": a.model,
                            "tools": offered_tools(a),
                            "tool_rules": a.tool_rules,
                            "dropped_tools": a.unavailable_tools,
                            "disallowed_tools": a.disallowed_tools + a.denied_rules,
                            "cannot_start": a.cannot_start,
                            "skills": a.skills,
                            "origin": a.origin,
                            "source": str(a.source),
                            "warnings": a.warnings,
                        }
                        for a in catalog.all()
                    ],
                    "problems": [p.model_dump(mode="json") for p in problems],
                },
                indent=2,
            )
        )
    else:
        table = Table(title="Agents")
        for col in ("name", "model", "tools", "skills", "source"):
            table.add_column(col, no_wrap=col == "name", overflow="fold")
        for a in catalog.all():
            table.add_row(
                a.name, a.model or "inherit", _tools_cell(a), ", ".join(a.skills), f"{a.origin}: {a.source}"
            )
        console = Console()
        console.print(table)
        for p in problems:
            console.print(f"{p.severity}: {p.path}:{p.line}: {p.message}", markup=False, highlight=False)
        for hidden in catalog.shadowed:
            console.print(
                f"note: {hidden.spec.source} ({hidden.spec.origin}) is hidden by {hidden.by.source} "
                f"({hidden.by.origin}), which defines `{hidden.spec.name}` too",
                markup=False,
                highlight=False,
            )
    return 1 if any(p.severity == "error" for p in problems) else 0


def _tools_cell(spec: AgentSpec) -> str:
    offered = offered_tools(spec)
    text = "all" if offered is None else ", ".join(offered) or "none"
    rules = [r for r in spec.tool_rules]
    if rules:
        text += f" (only {', '.join(rules)})"
    if spec.unavailable_tools:
        text += f"; not provided: {', '.join(spec.unavailable_tools)}"
    if spec.cannot_start:
        text += " [cannot start]"
    return text


def show_skills(workdir: Path, *, as_json: bool) -> int:
    """Print skills and their problems; exit 1 when some file has an error."""
    from shopfloor.specs.skills import discover_skills

    catalog = discover_skills(workdir)
    problems = catalog.problems
    if as_json:
        print(
            json.dumps(
                {
                    "skills": [
                        {
                            "name": s.name,
                            "label": s.label,
                            "allowed_tools": s.allowed_tools,
                            "description": s.description,
                            "origin": s.origin,
                            "source": str(s.source),
                            "files": [str(f) for f in s.files],
                        }
                        for s in catalog.all()
                    ],
                    "problems": [p.model_dump(mode="json") for p in problems],
                },
                indent=2,
            )
        )
    else:
        table = Table(title="Skills")
        for col in ("name", "description", "source"):
            table.add_column(col)
        for s in catalog.all():
            table.add_row(s.name, s.description, f"{s.origin}: {s.source}")
        console = Console()
        console.print(table)
        for p in problems:
            console.print(f"{p.severity}: {p.path}:{p.line}: {p.message}", markup=False, highlight=False)
    return 1 if any(p.severity == "error" for p in problems) else 0
