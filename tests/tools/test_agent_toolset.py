"""Which tools an agent is offered: its `tools:` list taken literally, one delegation tool, Skill
only when skills exist."""

from __future__ import annotations

from shopfloor.tools.registry import agent_toolset


def test_all_tools_means_every_tool_once_with_delegation_as_agent() -> None:
    names = agent_toolset(None, [], has_skills=True, roster="- helper: helps (Tools: Read)").names
    assert "Agent" in names and "Task" not in names
    assert {"TodoWrite", "WebFetch", "WebSearch", "LS", "NotebookEdit", "Skill"} <= set(names)
    assert "Skill" not in agent_toolset(None, [], has_skills=False, roster=None).names


def test_the_delegation_tool_keeps_the_name_the_file_uses() -> None:
    assert agent_toolset(["Read", "Task"], [], has_skills=False, roster="-").names == ["Read", "Task"]
    assert agent_toolset(["Agent", "Task"], [], has_skills=False, roster="-").names == ["Agent"]
    # Without a roster (delegation not possible here, e.g. at the depth limit) neither is offered.
    assert agent_toolset(["Read", "Task", "Agent"], [], has_skills=False, roster=None).names == ["Read"]


def test_the_roster_is_part_of_the_description() -> None:
    roster = "- helper: helps (Tools: Read)"
    tool = agent_toolset(["Agent"], [], has_skills=False, roster=roster).get("Agent")
    assert tool is not None and tool.describe().endswith(f"Available agent types:\n{roster}")


def test_disallowed_tools_are_removed() -> None:
    assert agent_toolset(None, ["WebSearch", "Bash"], has_skills=False, roster=None).names == [
        "Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "LS", "BashOutput", "KillBash", "NotebookEdit",
        "TodoWrite", "WebFetch",
    ]  # fmt: skip
