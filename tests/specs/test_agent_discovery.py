"""Finding agents: search locations, precedence, and broken files that never stop the rest."""

from __future__ import annotations

from pathlib import Path

from shopfloor.specs.agent_catalog import discover_agents
from tests.specs.conftest import agent_md, write

BUILTIN_NAMES = {
    "backend-agent",
    "frontend-agent",
    "qa-agent",
    "decomposition-agent",
    "research-agent",
    "general-purpose",
}


def test_every_location_is_searched(project: Path, home: Path) -> None:
    write(project / ".claude/agents/alpha.md", agent_md("alpha"))
    write(project / ".shopfloor/agents/nested/beta.md", agent_md("beta"))
    write(home / ".claude/agents/gamma.md", agent_md("gamma"))
    catalog = discover_agents(project, home=home)
    found = {a.name: a.origin for a in catalog.all()}
    assert found["alpha"] == "project"
    assert found["beta"] == "project"
    assert found["gamma"] == "user"
    assert set(found) >= BUILTIN_NAMES
    assert catalog.problems == []
    assert catalog.names() == sorted(found)


def test_project_beats_user_beats_builtin(project: Path, home: Path) -> None:
    proj = write(project / ".claude/agents/backend.md", agent_md("backend-agent", body="project version"))
    user = write(home / ".claude/agents/backend-agent.md", agent_md("backend-agent", body="user version"))

    catalog = discover_agents(project, home=home)
    spec = catalog.get("backend-agent")
    assert spec is not None and spec.body == "project version" and spec.source == proj
    hidden = [(s.spec.origin, s.by.origin) for s in catalog.shadowed if s.spec.name == "backend-agent"]
    assert hidden == [("user", "project"), ("builtin", "project")]

    proj.unlink()
    spec = discover_agents(project, home=home).get("backend-agent")
    assert spec is not None and spec.body == "user version" and spec.source == user

    user.unlink()
    spec = discover_agents(project, home=home).get("backend-agent")
    assert spec is not None and spec.origin == "builtin"


def test_claude_folder_beats_shopfloor_folder_in_the_project(project: Path, home: Path) -> None:
    write(project / ".claude/agents/x.md", agent_md("x", body="claude"))
    write(project / ".shopfloor/agents/x.md", agent_md("x", body="shopfloor"))
    spec = discover_agents(project, home=home).get("x")
    assert spec is not None and spec.body == "claude"


def test_broken_files_become_problems_and_the_rest_still_load(project: Path, home: Path) -> None:
    agents = project / ".claude/agents"
    write(agents / "good.md", agent_md("good", extra="tools: Read, Bash\n"))
    write(agents / "yaml.md", "---\nname: yaml\ndescription: Reviews code\n  tools: Read\n---\nbody\n")
    write(agents / "noname.md", "---\ndescription: nameless\n---\nbody\n")
    write(agents / "nodesc.md", "---\nname: nodesc\ntools: Read\n---\nbody\n")
    write(agents / "tools.md", agent_md("tools", extra="tools: WebFetch, Teleport\n"))
    write(agents / "open.md", "---\nname: open\ndescription: never closed\n")
    write(agents / "latin1.md", b"---\nname: latin1\ndescription: \xe9\n---\n")
    write(agents / "warned.md", agent_md("warned", extra="\nmystery: yes\n"))
    write(agents / "README.md", "# Notes about these agents\n")
    write(agents / ".hidden/ignored.md", "not an agent")

    catalog = discover_agents(project, home=home)  # must not raise

    assert catalog.get("good") is not None
    assert catalog.get("warned") is not None
    errors = {(p.path.name, p.line) for p in catalog.errors}
    assert errors == {("yaml.md", 4), ("nodesc.md", 1), ("open.md", 1), ("latin1.md", 3)}
    # As in Claude Code: a file without `name` is documentation (skipped, with a note), and an
    # unknown tool is dropped with a warning while the agent loads.
    warnings = [p for p in catalog.problems if p.severity == "warning"]
    assert sorted((p.path.name, p.line) for p in warnings) == [
        ("noname.md", 1),
        ("tools.md", 4),
        ("warned.md", 5),
    ]
    assert "mystery" in next(p.message for p in warnings if p.path.name == "warned.md")
    assert "documentation" in next(p.message for p in warnings if p.path.name == "noname.md")
    assert catalog.get("tools") is not None
    for name in ("yaml", "nodesc", "open", "latin1", "noname"):
        assert catalog.get(name) is None
    assert set(catalog.names()) >= BUILTIN_NAMES
    text = str(next(p for p in catalog.errors if p.path.name == "yaml.md"))
    assert text.startswith(f"{agents / 'yaml.md'}:4: error: ")


def test_a_broken_project_file_does_not_silently_fall_back_to_the_builtin(project: Path, home: Path) -> None:
    bad = write(project / ".claude/agents/backend-agent.md", "---\nname: backend-agent\ntools: [Read\n---\n")
    catalog = discover_agents(project, home=home)
    assert catalog.get("backend-agent") is None
    blocker = catalog.broken("backend-agent")
    assert blocker is not None and blocker.path == bad
    message = catalog.missing_message("backend-agent", "agent")
    assert str(bad) in message and "cannot be used" in message
    assert any(p.severity == "warning" and "backend-agent" in p.message for p in catalog.problems)


def test_unknown_name_suggests_close_ones(project: Path, home: Path) -> None:
    catalog = discover_agents(project, home=home)
    message = catalog.missing_message("backend-agnet", "agent")
    assert "unknown agent `backend-agnet`" in message and "Did you mean: backend-agent" in message


def test_project_in_the_home_directory_is_not_listed_twice(home: Path) -> None:
    write(home / ".claude/agents/solo.md", agent_md("solo"))
    catalog = discover_agents(home, home=home)
    spec = catalog.get("solo")
    assert spec is not None and spec.origin == "project"
    assert [s for s in catalog.shadowed if s.spec.name == "solo"] == []


def test_problems_serialize_for_json_output(project: Path, home: Path) -> None:
    write(project / ".claude/agents/x.md", "---\nname: x\n---\n")
    problem = discover_agents(project, home=home).errors[0]
    dumped = problem.model_dump(mode="json")
    assert dumped["line"] == 1 and dumped["severity"] == "error"
    assert dumped["path"].endswith("x.md") and "description" in dumped["message"]
