"""Permission rules of Claude Code's settings files, applied to a scripted agent's real tool calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.claude_project import MARKER, agent, answers, run_worker, settings
from tests.claude_project import project as project  # the fixture

pytestmark = pytest.mark.anyio


async def test_a_deny_rule_stops_a_bash_call_and_the_model_sees_why(project: Path) -> None:
    settings(project, {"permissions": {"deny": ["Bash(rm:*)"], "allow": ["Bash(rm src/app.py)"]}})
    turns = [
        {"tool": "Bash", "input": {"command": "ls src && rm src/app.py"}},
        {"tool": "Bash", "input": {"command": "ls src"}},
        MARKER,
        "Done.",
    ]
    model, _, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    refused = answers(model, 2)[0]
    assert refused == (
        "Error: Bash call refused: it matches the deny rule `Bash(rm:*)` in .claude/settings.json."
    )
    assert (project / "src/app.py").exists()  # nothing of the command ran, not even `ls`
    assert "app.py" in answers(model, 3)[0]  # other commands still run


async def test_an_ask_rule_refuses_in_an_unattended_run_and_says_how_to_allow_it(project: Path) -> None:
    settings(project, {"permissions": {"ask": ["Edit(/src/**)"]}}, name="settings.local.json")
    turns = [
        {"tool": "Write", "input": {"file_path": "{workdir}/src/new.py", "content": "x = 1\n"}},
        MARKER,
        "Done.",
    ]
    model, _, _ = await run_worker(project, turns)
    said = answers(model, 2)[0]
    assert (
        "needs a person's confirmation (the ask rule `Edit(/src/**)` in .claude/settings.local.json)" in said
    )
    assert "`permissions.allow` in .claude/settings.local.json" in said
    assert not (project / "src/new.py").exists()


async def test_a_bare_deny_takes_the_tool_away_and_settings_never_widen_tools(project: Path) -> None:
    agent(project, tools="Read, Write, Bash")
    settings(project, {"permissions": {"deny": ["Bash"], "allow": ["Grep", "WebFetch(domain:example.com)"]}})
    model, _, _ = await run_worker(project, [MARKER, "Done."])
    assert [t.name for t in model.requests[0].tools] == ["Read", "Write"]


async def test_read_rules_cover_the_tools_that_search_files(project: Path) -> None:
    (project / "secrets").mkdir()
    (project / "secrets/keys.txt").write_text("key = 42\n")
    settings(project, {"permissions": {"deny": ["Read(./secrets/**)"]}})
    turns = [
        {"tool": "Grep", "input": {"pattern": "key", "path": "secrets/keys.txt", "output_mode": "content"}},
        {"tool": "Grep", "input": {"pattern": "print", "path": "src", "output_mode": "content"}},
        MARKER,
        "Done.",
    ]
    model, _, _ = await run_worker(project, turns)
    assert answers(model, 2) == [
        "Error: Grep call refused: it matches the deny rule `Read(./secrets/**)` in .claude/settings.json."
    ]
    assert "print('hi')" in answers(model, 3)[0]
