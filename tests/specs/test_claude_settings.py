"""Claude Code's settings files: which files, in which order, what each key becomes."""

from __future__ import annotations

import json
from pathlib import Path

from shopfloor.specs.claude_settings import load_claude_settings
from shopfloor.specs.hook_config import matcher_matches, parse_hooks


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_rules_of_every_file_add_up_and_name_their_file(tmp_path: Path) -> None:
    home, proj = tmp_path / "home", tmp_path / "proj"
    write_json(home / ".claude/settings.json", {"permissions": {"deny": ["Read(~/.ssh/*)"]}})
    write_json(
        proj / ".claude/settings.json", {"permissions": {"allow": ["Bash(git *)"], "ask": ["WebFetch"]}}
    )
    write_json(proj / ".claude/settings.local.json", {"permissions": {"deny": ["Bash(sudo:*)"]}})
    found = load_claude_settings(proj, home=home)
    assert [(r.kind, r.rule.text, r.where) for r in found.rules] == [
        ("deny", "Read(~/.ssh/*)", "~/.claude/settings.json"),
        ("allow", "Bash(git *)", ".claude/settings.json"),
        ("ask", "WebFetch", ".claude/settings.json"),
        ("deny", "Bash(sudo:*)", ".claude/settings.local.json"),
    ]
    assert found.problems == []


def test_the_nearest_definition_of_a_server_wins(tmp_path: Path) -> None:
    home, proj = tmp_path / "home", tmp_path / "proj"
    write_json(home / ".claude/settings.json", {"mcpServers": {"db": {"command": "user-db"}}})
    write_json(
        proj / ".mcp.json", {"mcpServers": {"db": {"command": "project-db"}, "web": {"url": "http://x/mcp"}}}
    )
    write_json(
        proj / ".claude/settings.local.json", {"mcpServers": {"web": {"type": "http", "url": "http://y/mcp"}}}
    )
    found = load_claude_settings(proj, home=home)
    assert found.servers["db"].command == "project-db"
    assert (found.servers["web"].url, found.servers["web"].scope) == ("http://y/mcp", "local")


def test_server_definitions_take_variables_from_the_environment(tmp_path: Path) -> None:
    from shopfloor.specs.mcp_config import parse_servers

    servers, problems = parse_servers(
        {"a": {"command": "${BIN:-node}", "args": ["${ROOT}/s.js"], "env": {"K": "${TOKEN}"}}},
        tmp_path,
        "project",
        environ={"ROOT": "/srv"},
    )
    assert problems == []
    assert (servers[0].command, servers[0].args, servers[0].missing) == ("node", ("/srv/s.js",), ("TOKEN",))


def test_broken_files_and_unused_keys_are_reported_not_raised(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / ".claude").mkdir(parents=True)
    (proj / ".claude/settings.json").write_text('{"permissions": {"deny": ["Bash(rm"]}, "model": "opus"}')
    (proj / ".claude/settings.local.json").write_text("{not json")
    found = load_claude_settings(proj, home=tmp_path / "home")
    messages = [str(p) for p in found.problems]
    assert any("unbalanced parentheses" in m or "is not a tool rule" in m for m in messages)
    assert any("settings.local.json: is not valid JSON (line 1" in m for m in messages)
    assert found.ignored_keys == {str(proj / ".claude/settings.json"): ["model"]}


def test_matchers_as_claude_code_reads_them() -> None:
    assert matcher_matches("", "Bash") and matcher_matches("*", "Bash")
    assert matcher_matches("Edit|Write", "Write") and not matcher_matches("Edit|Write", "MultiEdit")
    assert matcher_matches("Read, Grep", "Grep")
    assert matcher_matches("mcp__notes__.*", "mcp__notes__add_note")  # a regular expression
    assert matcher_matches("Notebook", "Notebook") and not matcher_matches("Notebook", "NotebookEdit")


def test_an_agent_files_stop_hook_is_a_subagent_stop_hook(tmp_path: Path) -> None:
    hooks, problems = parse_hooks(
        {"Stop": [{"hooks": [{"type": "command", "command": "check.sh", "timeout": 5}]}],
         "Notification": [{"hooks": [{"type": "prompt", "prompt": "x"}]}]},
        tmp_path / "a.md",
        "project",
        in_agent=True,
    )  # fmt: skip
    assert [(h.event, h.command, h.timeout_s) for h in hooks] == [("SubagentStop", "check.sh", 5.0)]
    assert any("does not fire this event" in p for p in problems)
    assert any("`prompt` hooks are not run" in p for p in problems)
