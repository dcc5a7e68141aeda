"""Parsing one agent file: fields, tool lists, warnings, and errors that point at the right line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.specs.agent_file import AgentFileError, parse_agent_file
from tests.specs.conftest import agent_md, write

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "backend-agent.md"  # shipped with the tests


def test_the_seed_backend_agent_loads_unchanged_as_a_project_agent(project: Path, home: Path) -> None:
    target = project / ".claude" / "agents" / "backend-agent.md"
    target.parent.mkdir(parents=True)
    shutil.copy(SEED, target)

    catalog = discover_agents(project, home=home)
    spec = catalog.get("backend-agent")

    assert spec is not None
    assert spec.origin == "project"
    assert spec.source == target
    assert spec.description.startswith("Backend implementation specialist.")
    assert spec.tools == ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]
    assert spec.disallowed_tools == []
    assert spec.model == "sonnet"
    assert spec.skills == ["api_development", "database_designer", "backend_security"]
    assert spec.max_turns is None and spec.color is None
    assert spec.body.startswith("You are a senior backend developer")
    assert ".orchestrator/complete/TASK-XXX.done" in spec.body
    assert spec.warnings == [] and spec.extra == {}
    assert [p for p in catalog.problems if p.path == target] == []
    # The built-in of the same name is recorded as shadowed by the project file.
    assert [(s.spec.origin, s.by.source) for s in catalog.shadowed if s.spec.name == "backend-agent"] == [
        ("builtin", target)
    ]


def test_tools_as_comma_string_space_string_and_yaml_list(tmp_path: Path) -> None:
    comma = write(tmp_path / "a.md", agent_md("a", extra="tools: Read,Grep , Bash\n"))
    spaces = write(tmp_path / "b.md", agent_md("b", extra="tools: Read Grep Bash\n"))
    listed = write(tmp_path / "c.md", agent_md("c", extra="tools:\n  - Read\n  - Grep\n  - Bash\n"))
    flow = write(tmp_path / "d.md", agent_md("d", extra="tools: [Read, Grep, Bash, Read]\n"))
    for path in (comma, spaces, listed, flow):
        spec = parse_agent_file(path)
        assert spec.tools == ["Read", "Grep", "Bash"], path.name
        assert spec.warnings == []


@pytest.mark.parametrize("value", ['"*"', "'*'", '["*"]', "Read, *"])
def test_star_means_every_tool(tmp_path: Path, value: str) -> None:
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra=f"tools: {value}\n")))
    assert spec.tools is None


def test_omitted_tools_mean_every_tool_and_empty_ones_mean_none(tmp_path: Path) -> None:
    # Claude Code: key absent => every tool; present but null, "" or [] => no tools.
    assert parse_agent_file(write(tmp_path / "a.md", agent_md("a"))).tools is None
    for i, value in enumerate(("", " ''", " []")):
        spec = parse_agent_file(write(tmp_path / f"b{i}.md", agent_md("b", extra=f"tools:{value}\n")))
        assert spec.tools == [] and spec.warnings == [] and spec.cannot_start is None


def test_claude_code_tools_are_kept_with_a_warning_on_their_own_line(tmp_path: Path) -> None:
    text = agent_md("a", extra="tools:\n  - Read\n  - TaskCreate\n  - mcp__github__create_issue\n")
    spec = parse_agent_file(write(tmp_path / "a.md", text))
    assert spec.tools == ["Read", "TaskCreate", "mcp__github__create_issue"]
    assert spec.unavailable_tools == ["TaskCreate"]  # an MCP tool is its server's to provide
    assert spec.warnings == ["line 6: `TaskCreate` is a Claude Code tool that shopfloor does not provide"]


def test_misspelt_tool_gets_a_suggestion(tmp_path: Path) -> None:
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra="tools: Read, Gerp\n")))
    assert spec.tools == ["Read", "Gerp"]
    assert spec.warnings == ["line 4: unknown tool `Gerp` (did you mean Grep?)"]


def test_argument_patterns_become_rules_and_keep_the_tool(tmp_path: Path) -> None:
    text = agent_md("a", extra="tools: Read, Bash(git diff:*)\ndisallowedTools: Bash(rm:*), Write\n")
    spec = parse_agent_file(write(tmp_path / "a.md", text))
    assert spec.tools == ["Read", "Bash"] and spec.tool_rules == ["Bash(git diff:*)"]
    assert spec.disallowed_tools == ["Write"] and spec.denied_rules == ["Bash(rm:*)"]
    assert spec.warnings == []
    both = parse_agent_file(write(tmp_path / "b.md", agent_md("b", extra="tools: Bash(git:*), Bash\n")))
    assert both.tools == ["Bash"] and both.tool_rules == []  # listed bare too: all of Bash


def test_other_fields_are_read(tmp_path: Path) -> None:
    extra = "model: claude-opus-4-1\nskills:\n  - one\n  - two\nmaxTurns: 12\ncolor: blue\n"
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra=extra)), "user")
    assert (spec.model, spec.skills, spec.max_turns, spec.color, spec.origin) == (
        "claude-opus-4-1",
        ["one", "two"],
        12,
        "blue",
        "user",
    )
    spec = parse_agent_file(
        write(tmp_path / "b.md", agent_md("b", extra="skills: one, two\nmaxTurns: '7'\n"))
    )
    assert spec.skills == ["one", "two"] and spec.max_turns == 7


def test_unknown_fields_are_kept_and_warned_about_with_their_lines(tmp_path: Path) -> None:
    text = agent_md("a", extra="permissionMode: acceptEdits\nfavourite: 42\n")
    spec = parse_agent_file(write(tmp_path / "a.md", text))
    assert spec.extra == {"permissionMode": "acceptEdits", "favourite": 42}
    assert spec.warnings == [
        "line 4: `permissionMode` is a Claude Code field shopfloor does not use",
        "line 5: unknown field `favourite` is kept but has no effect",
    ]


def test_duplicate_field_is_a_warning(tmp_path: Path) -> None:
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra="model: haiku\nmodel: opus\n")))
    assert spec.model == "opus"
    assert spec.warnings == ["line 5: `model` appears more than once; the last one is used"]


def test_crlf_and_bom_files_parse(tmp_path: Path) -> None:
    text = "\ufeff" + agent_md("a", extra="tools: Read\n").replace("\n", "\r\n")
    spec = parse_agent_file(write(tmp_path / "a.md", text))
    assert spec.name == "a" and spec.tools == ["Read"] and spec.body == "Work."


def broken(tmp_path: Path, text: str | bytes) -> AgentFileError:
    with pytest.raises(AgentFileError) as info:
        parse_agent_file(write(tmp_path / "bad.md", text))
    assert info.value.path == tmp_path / "bad.md"
    assert str(info.value).startswith(f"{tmp_path / 'bad.md'}:{info.value.line}: ")
    return info.value


def test_bad_yaml_points_at_the_offending_line(tmp_path: Path) -> None:
    err = broken(tmp_path, "---\nname: a\ndescription: ok\nmodel: sonnet\ncolor: red\n  x: [1\n---\n")
    assert err.line == 6
    assert "not valid YAML" in err.message and "mapping values" in err.message
    err = broken(tmp_path, "---\nname: a\ndescription: ok\nskills:\n\t- one\n---\nbody\n")
    assert err.line == 5 and "'\\t'" in err.message
    err = broken(tmp_path, "---\nname: a\ndescription: ok\ntools: [Read, Grep\ncolor: red\n---\nbody\n")
    assert err.line == 5 and "starts on line 4" in err.message


def test_unquoted_colon_in_a_value_is_read_as_text_with_a_warning(tmp_path: Path) -> None:
    # Hand-written agent files often contain this; shopfloor reads it as text and says so.
    text = "---\nname: a\ndescription: Use when: the code needs review\ntools: Read\n---\nbody\n"
    spec = parse_agent_file(write(tmp_path / "a.md", text))
    assert spec.description == "Use when: the code needs review"
    assert spec.tools == ["Read"]
    assert len(spec.warnings) == 1 and spec.warnings[0].startswith("line 3: `description` holds an unquoted")


def test_unclosed_quote_points_at_where_it_opened(tmp_path: Path) -> None:
    err = broken(tmp_path, '---\nname: a\ndescription: "never closed\nmodel: sonnet\n---\nbody\n')
    assert err.line == 3


def test_missing_required_fields_point_at_the_frontmatter(tmp_path: Path) -> None:
    err = broken(tmp_path, "---\ndescription: no name here\n---\nbody\n")
    assert err.line == 1 and "`name`" in err.message
    err = broken(tmp_path, "\n".join(["---", "name: a", "tools: Read", "---", "body"]))
    assert err.line == 1 and "`description`" in err.message
    err = broken(tmp_path, "---\nname: a\ndescription: '   '\n---\nbody\n")
    assert err.line == 3 and "empty" in err.message


def test_bad_values_point_at_their_field(tmp_path: Path) -> None:
    assert broken(tmp_path, agent_md("a", extra="model: [x]\n")).line == 4
    assert broken(tmp_path, agent_md("a", extra="tools: 5\n")).line == 4
    assert broken(tmp_path, agent_md("plugin:name")).line == 2
    assert broken(tmp_path, agent_md("'-dash'")).line == 2


def test_an_invalid_max_turns_is_ignored_with_a_warning(tmp_path: Path) -> None:
    # Claude Code logs an invalid maxTurns and runs without it.
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra="color: red\nmaxTurns: lots\n")))
    assert spec.max_turns is None
    assert spec.warnings == [
        "line 5: `maxTurns` must be a whole number of at least 1, not 'lots'; it is ignored"
    ]


def test_names_with_spaces_load_as_in_claude_code(tmp_path: Path) -> None:
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("Code Reviewer")))
    assert spec.name == "Code Reviewer" and spec.warnings == []


def test_a_file_whose_tools_all_lack_loads_but_cannot_start(tmp_path: Path) -> None:
    spec = parse_agent_file(write(tmp_path / "a.md", agent_md("a", extra="model: sonnet\ntools: Reed\n")))
    assert spec.tools == ["Reed"]
    assert spec.warnings[0] == "line 5: unknown tool `Reed` (did you mean Read?)"
    assert "none of the tools listed (Reed)" in spec.warnings[1] and "cannot start" in spec.warnings[1]
    assert spec.cannot_start is not None and "Reed" in spec.cannot_start


def test_unclosed_frontmatter_empty_file_and_no_frontmatter(tmp_path: Path) -> None:
    err = broken(tmp_path, "---\nname: a\ndescription: b\n\nbody without a closing fence\n")
    assert err.line == 1 and "never closed" in err.message and err.severity == "error"
    err = broken(tmp_path, "  \n\n")
    assert err.line == 1 and "empty" in err.message and err.severity == "warning"
    err = broken(tmp_path, "# Just markdown\n")
    assert err.line == 1 and "not an agent" in err.message and err.severity == "warning"
    err = broken(tmp_path, "---\n- a\n- b\n---\nbody\n")
    assert err.line == 2 and "key: value" in err.message


def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    err = broken(tmp_path, b"---\nname: a\ndescription: caf\xe9 agent\n---\nbody\n")
    assert err.line == 3 and "UTF-8" in err.message
