"""Listings for `shopfloor agents` and `shopfloor skills`."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table


def show_agents(workdir: Path, *, as_json: bool) -> int:
    """Print agents and their problems; exit 1 when some file has an error."""
    from shopfloor.specs.agents import discover_agents

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
                            "tools": a.tools,
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
            tools = "all" if a.tools is None else ", ".join(a.tools)
            table.add_row(a.name, a.model or "inherit", tools, ", ".join(a.skills), f"{a.origin}: {a.source}")
        console = Console()
        console.print(table)
        for p in problems:
            console.print(f"{p.severity}: {p.path}:{p.line}: {p.message}", markup=False, highlight=False)
    return 1 if any(p.severity == "error" for p in problems) else 0


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
