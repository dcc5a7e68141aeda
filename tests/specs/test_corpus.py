"""The corpus of agent and skill files loads exactly as `corpus/expected.yaml` says Claude Code loads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopfloor.specs.agent_catalog import AgentCatalog, discover_agents
from shopfloor.specs.skills import SkillCatalog, discover_skills
from shopfloor.specs.sources import SpecProblem

CORPUS = Path(__file__).parent / "corpus"
AGENTS = CORPUS / ".claude" / "agents"
SKILLS = CORPUS / ".claude" / "skills"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
_PROBLEM = re.compile(r"^(\d+) (error|warning): (.+)$")


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> AgentCatalog:
    return discover_agents(CORPUS, home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def skills(tmp_path_factory: pytest.TempPathFactory) -> SkillCatalog:
    return discover_skills(CORPUS, home=tmp_path_factory.mktemp("home"))


def test_every_corpus_file_has_an_expectation() -> None:
    agent_files = {p.relative_to(AGENTS).as_posix() for p in AGENTS.rglob("*.md")}
    skill_dirs = {p.parent.name for p in SKILLS.rglob("SKILL.md")}
    assert agent_files == set(EXPECTED["agents"])
    assert skill_dirs == set(EXPECTED["skills"])


def check_problems(found: list[SpecProblem], expected: list[str]) -> None:
    """Exactly the expected problems: the same lines and severities, each with its message fragment."""
    wanted = []
    for text in expected:
        match = _PROBLEM.match(text.replace("{dir}", str(AGENTS)))
        assert match, f"bad expectation {text!r}"
        wanted.append((int(match.group(1)), match.group(2), match.group(3)))
    assert sorted((p.line, p.severity) for p in found) == sorted((w[0], w[1]) for w in wanted)
    for line, severity, fragment in wanted:
        assert any(p.line == line and p.severity == severity and fragment in p.message for p in found), (
            f"no {severity} at line {line} containing {fragment!r} in {[str(p) for p in found]}"
        )


@pytest.mark.parametrize("rel", sorted(EXPECTED["agents"]))
def test_agent_file(rel: str, agents: AgentCatalog) -> None:
    want = EXPECTED["agents"][rel]
    path = AGENTS / rel
    check_problems([p for p in agents.problems if p.path == path], want.get("problems", []))
    outcome = want["outcome"]
    name = want.get("name")
    spec = agents.get(name) if name else None
    if outcome == "accepted":
        assert spec is not None and spec.source == path
        assert spec.tools == (None if want["tools"] == "all" else want["tools"])
        assert spec.tool_rules == want.get("rules", [])
        assert spec.disallowed_tools == want.get("disallowed", [])
        assert spec.denied_rules == want.get("denied_rules", [])
        assert (spec.cannot_start is not None) == want.get("cannot_start", False)
        if "description" in want:
            assert spec.description == want["description"]
    elif outcome == "shadowed":
        assert spec is not None and spec.source != path
        assert [s.spec.source for s in agents.shadowed if s.by == spec] == [path]
    elif outcome == "rejected":
        assert spec is None
        blocker = agents.broken(name)
        assert blocker is not None and blocker.path == path and blocker.severity == "error"
    elif outcome == "skipped":
        assert all(a.source != path for a in agents.all())
        assert all(p.severity == "warning" for p in agents.problems if p.path == path)
    else:
        assert outcome == "ignored"
        assert all(a.source != path for a in agents.all())


@pytest.mark.parametrize("folder", sorted(EXPECTED["skills"]))
def test_skill_folder(folder: str, skills: SkillCatalog) -> None:
    want = EXPECTED["skills"][folder]
    path = SKILLS / folder / "SKILL.md"
    check_problems([p for p in skills.problems if p.path == path], want.get("problems", []))
    assert want["outcome"] == "accepted"  # Claude Code loads every skill folder it finds
    spec = skills.get(want["name"])
    assert spec is not None and spec.source == path
    assert spec.label == want.get("label")
    assert spec.allowed_tools == want.get("allowed_tools", [])
    if "description" in want:
        assert spec.description == want["description"]


def test_a_skills_label_points_to_its_name(skills: SkillCatalog) -> None:
    message = skills.missing_message("PDF Processing", "skill")
    assert "`pdf-tools`" in message and "folder" in message
