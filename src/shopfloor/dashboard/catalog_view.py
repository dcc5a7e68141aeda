"""The agents and skills page: what discovery finds from the project, and what is wrong in their files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.specs.skills import discover_skills
from shopfloor.specs.sources import SpecProblem


class AgentInfo(BaseModel):
    name: str
    description: str
    origin: str
    source: str
    model: str | None
    tools: list[str] | None
    """None means every tool."""
    skills: list[str]


class SkillInfo(BaseModel):
    name: str
    description: str
    origin: str
    source: str
    files: int


class ProblemInfo(BaseModel):
    kind: str
    """`agent` or `skill`."""
    path: str
    line: int
    severity: str
    message: str


class ShadowInfo(BaseModel):
    kind: str
    name: str
    hidden: str
    """The file whose definition is not used."""
    by: str


class AgentsView(BaseModel):
    agents: list[AgentInfo] = Field(default_factory=list)
    skills: list[SkillInfo] = Field(default_factory=list)
    problems: list[ProblemInfo] = Field(default_factory=list)
    shadowed: list[ShadowInfo] = Field(default_factory=list)


def _problem(kind: str, p: SpecProblem) -> ProblemInfo:
    return ProblemInfo(kind=kind, path=str(p.path), line=p.line, severity=p.severity, message=p.message)


def agents_view(project: Path, *, home: Path | None = None) -> AgentsView:
    agents = discover_agents(project, home=home)
    skills = discover_skills(project, home=home)
    view = AgentsView(
        agents=[
            AgentInfo(
                name=a.name,
                description=a.description,
                origin=a.origin,
                source=str(a.source),
                model=a.model,
                tools=a.tools,
                skills=list(a.skills),
            )
            for a in agents.all()
        ],
        skills=[
            SkillInfo(
                name=s.name,
                description=s.description,
                origin=s.origin,
                source=str(s.source),
                files=len(s.files),
            )
            for s in skills.all()
        ],
        problems=[_problem("agent", p) for p in agents.problems]
        + [_problem("skill", p) for p in skills.problems],
    )
    for kind, shadows in (("agent", agents.shadowed), ("skill", skills.shadowed)):
        view.shadowed += [
            ShadowInfo(kind=kind, name=s.spec.name, hidden=str(s.spec.source), by=str(s.by.source))
            for s in shadows
        ]
    return view
