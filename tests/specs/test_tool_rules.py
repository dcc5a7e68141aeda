"""Claude Code's tool-rule syntax: parsing, Bash command matching, domains, agent names, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.specs.tool_rules import (
    RuleSyntaxError,
    ToolRule,
    bash_pattern_matches,
    parse_rule,
    rule_applies_to,
    rule_matches,
    split_command,
    unchecked_construct,
)
from shopfloor.tools.globs import path_glob_match


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Bash", ToolRule("Bash")),
        ("Bash(git:*)", ToolRule("Bash", "git:*")),
        ("Bash( npm run test *)", ToolRule("Bash", "npm run test *")),
        ("Bash()", ToolRule("Bash")),
        ("Bash(*)", ToolRule("Bash")),
        ("WebFetch(domain:docs.python.org)", ToolRule("WebFetch", "domain:docs.python.org")),
        ("Agent(worker, researcher)", ToolRule("Agent", "worker, researcher")),
        ("mcp__github__create_issue", ToolRule("mcp__github__create_issue")),
    ],
)
def test_rules_parse(text: str, rule: ToolRule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["", "Bash(git:*", "Ba sh", "(x)", "Bash(a))"])
def test_malformed_rules_are_refused(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(text)


@pytest.mark.parametrize(
    ("pattern", "command", "matches"),
    [
        ("git:*", "git status", True),
        ("git:*", "git", True),
        ("git:*", "gitk --all", False),  # the legacy suffix keeps a word boundary
        ("git diff:*", "git diff HEAD~1", True),
        ("git diff:*", "git log", False),
        ("npm run test *", "npm run test -- --watch", True),
        ("npm run test *", "npm run test", True),
        ("ls *", "lsof -i", False),
        ("ls*", "lsof -i", True),  # no space before `*`: no word boundary
        ("git * main", "git push origin main", True),
        ("git * main", "git push origin dev", False),
        ("npm run build", "npm run build", True),
        ("npm run build", "npm run build --watch", False),  # no `*`: the exact command only
    ],
)
def test_bash_patterns(pattern: str, command: str, matches: bool) -> None:
    assert bash_pattern_matches(pattern, command) is matches


def test_compound_commands_split_outside_quotes_and_lose_their_wrappers() -> None:
    line = 'cd src && git status | head -5; echo "a && b" 2>&1 & timeout 30 npm test\nnice -n 5 make'
    parts = ["cd src", "git status", "head -5", 'echo "a && b" 2>&1', "npm test", "make"]
    assert split_command(line) == parts
    assert split_command("xargs grep x; xargs -0 rm; nohup time stdbuf -oL pytest -q") == [
        "grep x",
        "xargs -0 rm",
        "pytest -q",
    ]
    assert split_command("a || b |& c") == ["a", "b", "c"]


def test_a_compound_command_matches_only_when_every_part_does() -> None:
    rule = parse_rule("Bash(git:*)")
    assert rule_matches(rule, "Bash", {"command": "git add -A && git commit -m 'x && y'"})
    assert not rule_matches(rule, "Bash", {"command": "git status && rm -rf build"})
    assert not rule_matches(rule, "Bash", {"command": "git log | sh"})


def test_command_substitution_is_found_outside_single_quotes() -> None:
    assert unchecked_construct("git log $(rm -rf /)") == "$("
    assert unchecked_construct("git log `whoami`") == "`"
    assert unchecked_construct("diff <(git show a) b") == "<("
    assert unchecked_construct("git commit -m '$(not run)'") is None


def test_webfetch_rules_match_the_host() -> None:
    rule = parse_rule("WebFetch(domain:example.com)")
    assert rule_matches(rule, "WebFetch", {"url": "https://example.com/docs"})
    assert not rule_matches(rule, "WebFetch", {"url": "https://api.example.com/"})
    assert not rule_matches(rule, "WebFetch", {"url": "https://example.com.evil.net/"})
    wild = parse_rule("WebFetch(domain:*.example.com)")
    assert rule_matches(wild, "WebFetch", {"url": "https://api.example.com/v1"})
    assert not rule_matches(parse_rule("WebFetch(example.com)"), "WebFetch", {"url": "https://example.com"})


def test_agent_rules_name_the_agents_and_cover_both_tool_names() -> None:
    rule = parse_rule("Task(worker, researcher)")
    assert rule_applies_to(rule, "Agent") and rule_applies_to(rule, "Task")
    assert rule_matches(rule, "Agent", {"subagent_type": "researcher"})
    assert not rule_matches(rule, "Agent", {"subagent_type": "deployer"})


def test_edit_rules_cover_the_writing_tools_and_match_paths(tmp_path: Path) -> None:
    rule = parse_rule("Edit(src/**)")
    for tool in ("Edit", "Write", "MultiEdit", "NotebookEdit"):
        assert rule_applies_to(rule, tool)
    assert not rule_applies_to(rule, "Read")

    def matches(spec: str, path: str) -> bool:
        return rule_matches(
            parse_rule(spec), "Write", {"file_path": path}, root=tmp_path, home=tmp_path / "home",
            glob_match=path_glob_match,
        )  # fmt: skip

    assert matches("Edit(src/**)", str(tmp_path / "src/app/main.py"))
    assert matches("Edit(src/**)", "src/main.py")
    assert not matches("Edit(src/**)", str(tmp_path / "tests/test_main.py"))
    assert matches("Edit(*.md)", str(tmp_path / "docs/deep/README.md"))  # no slash: any depth
    assert matches("Edit(~/notes/**)", str(tmp_path / "home/notes/a.txt"))
    assert matches(f"Edit(/{'src'}/*.py)", str(tmp_path / "src/a.py"))
    assert not rule_matches(parse_rule("Edit(src/**)"), "Write", {"file_path": "src/a.py"})  # no glob given
