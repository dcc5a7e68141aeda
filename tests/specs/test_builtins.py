"""The agents and skills shipped inside the package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopfloor.queue.issues import parse_issue_queue, validate_issues
from shopfloor.queue.tasks import CATEGORIES, COMPLEXITIES, STATUSES, parse_task_queue, validate
from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.specs.agents import SHOPFLOOR_TOOLS, AgentSpec
from shopfloor.specs.skills import discover_skills
from shopfloor.specs.sources import builtin_dir

AGENTS = [
    "backend-agent",
    "decomposition-agent",
    "frontend-agent",
    "general-purpose",
    "qa-agent",
    "research-agent",
]
SKILLS = ["api_development", "backend_security", "database_designer"]


@pytest.fixture(scope="module")
def builtins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AgentSpec]:
    empty = tmp_path_factory.mktemp("empty")
    catalog = discover_agents(empty, home=empty)
    assert catalog.problems == []
    return {a.name: a for a in catalog.all()}


def test_all_builtin_agents_parse_cleanly(builtins: dict[str, AgentSpec]) -> None:
    assert sorted(builtins) == AGENTS
    for spec in builtins.values():
        assert spec.origin == "builtin"
        assert spec.warnings == [] and spec.extra == {}
        assert spec.tools is None or set(spec.tools) <= set(SHOPFLOOR_TOOLS)
        assert len(spec.body.splitlines()) > 30, spec.name


@pytest.mark.parametrize("name", AGENTS)
def test_each_builtin_agent_carries_the_marker_protocol(builtins: dict[str, AgentSpec], name: str) -> None:
    body = builtins[name].body
    assert "WORKING_DIR" in body and "TASK_ID" in body
    assert ".orchestrator/complete/<TASK_ID>.done" in body
    assert ".orchestrator/complete/<TASK_ID>.failed" in body


def test_backend_agent_fields(builtins: dict[str, AgentSpec]) -> None:
    spec = builtins["backend-agent"]
    assert spec.tools == ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]
    assert spec.model == "sonnet"
    assert spec.skills == ["api_development", "database_designer", "backend_security"]


def test_builtin_agents_do_not_reuse_the_seed_text(builtins: dict[str, AgentSpec]) -> None:
    seed = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "backend-agent.md"
    seed_lines = {ln.strip() for ln in seed.read_text().splitlines() if len(ln.strip()) > 30}
    for spec in builtins.values():
        shared = seed_lines & {ln.strip() for ln in spec.body.splitlines()}
        assert shared == set(), spec.name


def fenced(body: str, first_line: str) -> str:
    match = re.search(r"```\n(" + re.escape(first_line) + r".*?)```", body, re.DOTALL)
    assert match is not None, first_line
    return match.group(1)


def test_decomposition_example_is_a_valid_task_queue(builtins: dict[str, AgentSpec]) -> None:
    body = builtins["decomposition-agent"].body
    example = fenced(body, "### TASK-001")
    assert "| Field | Value |\n|-------|-------|\n| Status | pending |\n| Category | backend |" in example
    queue = parse_task_queue("# Task Queue\n\n" + example)
    assert validate(queue) == []
    first, second = queue.tasks
    assert (first.id, first.dependencies, second.dependencies) == ("TASK-001", [], ["TASK-001"])
    assert second.security_requirements and second.files and second.data_models
    for allowed in (STATUSES, CATEGORIES, COMPLEXITIES):
        for value in allowed:
            assert f"`{value}`" in body


def test_research_example_is_a_valid_issue(builtins: dict[str, AgentSpec]) -> None:
    body = builtins["research-agent"].body
    assert ".orchestrator/issue_queue.md" in body and ".orchestrator/complete/research.done" in body
    queue = parse_issue_queue("# Issue Queue\n\n" + fenced(body, "### ISSUE-001"))
    assert validate_issues(queue) == []
    assert [(i.id, i.status, i.priority) for i in queue.issues] == [("ISSUE-001", "pending", "high")]


def test_builtin_skills_parse_cleanly_and_cover_their_topics(tmp_path: Path) -> None:
    catalog = discover_skills(tmp_path, home=tmp_path)
    assert catalog.problems == []
    assert catalog.names() == SKILLS
    topics = {
        "api_development": [
            "FastAPI",
            "Django",
            "Express",
            "Fastify",
            "RFC 9457",
            "cursor",
            "Idempotency-Key",
        ],
        "database_designer": ["SQLAlchemy", "Prisma", "TypeORM", "Drizzle", "Alembic", "N+1", "SERIALIZABLE"],
        "backend_security": ["PKCE", "argon2id", "API1", "API10", "Retry-After", "SameSite", "alg"],
    }
    for name, words in topics.items():
        spec = catalog.get(name)
        assert spec is not None and spec.origin == "builtin"
        text = spec.body + "".join(f.read_text(encoding="utf-8") for f in spec.files)
        missing = [w for w in words if w.lower() not in text.lower()]
        assert missing == [], name


def test_builtin_skill_cores_stay_small() -> None:
    """Every agent that names a skill pays for its SKILL.md on every model call; the detail waits in
    reference files until a task needs it."""
    sizes = {name: len((builtin_dir("skills") / name / "SKILL.md").read_bytes()) for name in SKILLS}
    assert max(sizes.values()) <= 2_100, sizes
    assert sum(sizes.values()) < 6_000, sizes


REFERENCE = re.compile(r"`(references/[\w.-]+\.md)`")


def test_each_core_names_its_reference_files_and_each_exists(tmp_path: Path) -> None:
    catalog = discover_skills(tmp_path, home=tmp_path)
    for name in SKILLS:
        spec = catalog.get(name)
        assert spec is not None and spec.directory is not None
        named = REFERENCE.findall(spec.body)
        folder = spec.directory.resolve()
        assert len(named) >= 5, name
        assert sorted({folder / n for n in named}) == spec.files, name  # none missing, none unnamed
        for path in spec.files:
            text = path.read_text(encoding="utf-8")
            assert text.startswith("# ") and len(text) > 1_000, path
