"""Claude Code hooks around a scripted agent: real scripts, JSON on stdin, exit codes and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.agent.events import HookRan
from shopfloor.cli.views import transcript_lines
from tests.claude_project import MARKER, agent, answers, approve, hook, run_worker, script, settings
from tests.claude_project import project as project  # the fixture

pytestmark = pytest.mark.anyio

GUARD = """#!/usr/bin/env bash
# Refuses rm, says why on stderr, and keeps what it was given.
input=$(cat)
echo "$input" >> "$CLAUDE_PROJECT_DIR/../pre-inputs.jsonl"
case "$input" in
  *'"rm '*) echo "rm is not allowed in this repository; use git rm" >&2; exit 2 ;;
esac
exit 0
"""
MARKER_CHECK = """#!/usr/bin/env bash
# The completion-marker check of a project built for Claude Code: no marker, no stopping.
{ cat; echo; } >> "$CLAUDE_PROJECT_DIR/../stop-inputs.jsonl"
if ls "$CLAUDE_PROJECT_DIR"/.orchestrator/complete/*.done >/dev/null 2>&1; then exit 0; fi
echo "No completion marker yet: verify your work, then write .orchestrator/complete/<TASK-ID>.done" >&2
exit 2
"""


async def test_a_pre_tool_use_hook_blocks_with_exit_2_and_the_model_gets_its_message(project: Path) -> None:
    script(project, "guard.sh", GUARD)
    settings(project, {"hooks": hook("PreToolUse", '"$CLAUDE_PROJECT_DIR"/.claude/hooks/guard.sh', "Bash")})
    approve(project)
    turns = [
        {"tool": "Bash", "input": {"command": "rm src/app.py"}},
        {"tool": "Read", "input": {"file_path": "{workdir}/src/app.py"}},
        MARKER,
        "Done.",
    ]
    model, events, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    assert answers(model, 2) == [
        "Error: a PreToolUse hook blocked this call: rm is not allowed in this repository; use git rm"
    ]
    assert (project / "src/app.py").exists()
    # Read is not matched by `Bash`; the hook saw the call as Claude Code describes it.
    seen = [json.loads(line) for line in (project.parent / "pre-inputs.jsonl").read_text().splitlines()]
    assert len(seen) == 1
    assert seen[0]["hook_event_name"] == "PreToolUse" and seen[0]["tool_name"] == "Bash"
    assert seen[0]["tool_input"] == {"command": "rm src/app.py"} and seen[0]["cwd"] == str(project)
    assert seen[0]["tool_use_id"]
    ran = [e for e in events if isinstance(e, HookRan)]
    assert [(e.event, e.outcome, e.exit_code) for e in ran] == [("PreToolUse", "blocked", 2)]
    shown = [line for line in transcript_lines(events) if line.startswith("hook ")]
    assert shown[0].startswith("hook PreToolUse blocked: ") and "use git rm" in shown[0]  # `shopfloor logs`


async def test_a_subagent_stop_hook_that_finds_no_marker_sends_the_agent_back(project: Path) -> None:
    script(project, "marker.sh", MARKER_CHECK)
    settings(project, {"hooks": hook("SubagentStop", '"$CLAUDE_PROJECT_DIR"/.claude/hooks/marker.sh')})
    approve(project)
    model, events, outcome = await run_worker(project, ["All done, I think.", MARKER, "Done."])
    assert outcome == "completed"
    assert model.requests[1].messages[-1].text == (
        "No completion marker yet: verify your work, then write .orchestrator/complete/<TASK-ID>.done"
    )
    stops = [json.loads(line) for line in (project.parent / "stop-inputs.jsonl").read_text().splitlines()]
    assert [s["stop_hook_active"] for s in stops] == [False, True]
    assert stops[0]["agent_type"] == "worker" and stops[0]["last_assistant_message"] == "All done, I think."
    ran = [(e.event, e.outcome) for e in events if isinstance(e, HookRan)]
    assert ran == [("SubagentStop", "blocked"), ("SubagentStop", "ok")]


async def test_json_output_denies_rewrites_input_and_adds_context(project: Path) -> None:
    said = {"permissionDecision": "deny", "permissionDecisionReason": "writes go through Edit"}
    deny = json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", **said}})
    rewrite = json.dumps(
        {"hookSpecificOutput": {"permissionDecision": "allow", "updatedInput": {"command": "echo rewritten"}}}
    )
    context = json.dumps({"hookSpecificOutput": {"additionalContext": "Remember: tests live in tests/."}})
    hooks = {
        "PreToolUse": [
            {"matcher": "Write", "hooks": [{"type": "command", "command": f"echo '{deny}'"}]},
            {"matcher": "Bash", "hooks": [{"type": "command", "command": f"echo '{rewrite}'"}]},
        ],
        "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": f"echo '{context}'"}]}],
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo Project rule: no new files."}]}],
    }
    settings(project, {"hooks": hooks})
    approve(project)
    turns = [
        {"tool": "Write", "input": {"file_path": "{workdir}/x.txt", "content": "x"}},
        {"tool": "Bash", "input": {"command": "echo original"}},
        MARKER,
        "Done.",
    ]
    model, _, _ = await run_worker(project, turns)
    assert "Project rule: no new files." in model.requests[0].messages[0].text
    assert answers(model, 2) == ["Error: a PreToolUse hook denied this call: writes go through Edit"]
    assert answers(model, 3) == ["rewritten\n\nRemember: tests live in tests/."]


async def test_an_agent_files_own_stop_hook_runs_only_for_it(project: Path) -> None:
    block = json.dumps({"decision": "block", "reason": "Run the tests first."})
    stop = {"Stop": [{"hooks": [{"type": "command", "command": f"echo '{block}'"}]}]}
    agent(project, extra=f"hooks: {json.dumps(stop)}\n")  # YAML reads JSON
    approve(project)
    model, _, outcome = await run_worker(project, [MARKER, "Done.", "Tests pass. Done."] + ["Done."] * 8)
    assert model.requests[2].messages[-1].text == "Run the tests first."
    # Claude Code lets an agent end after 8 blocks in a row; so does shopfloor.
    assert outcome == "completed" and len(model.requests) == 10


async def test_session_hooks_environment_timeouts_and_matchers_claude_code_ignores(project: Path) -> None:
    hooks = {
        "SessionStart": [
            {"matcher": "startup", "hooks": [{"command": 'echo "project at $CLAUDE_PROJECT_DIR"'}]}
        ],
        # UserPromptSubmit takes no matcher in Claude Code: one written there is ignored, the hook runs.
        "UserPromptSubmit": [{"matcher": "Bash", "hooks": [{"command": 'echo "task $SHOPFLOOR_TASK_ID"'}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"command": "sleep 60", "timeout": 1}]}],
        "SessionEnd": [{"hooks": [{"command": 'cat > "$CLAUDE_PROJECT_DIR/../session-end.json"'}]}],
    }
    settings(project, {"hooks": hooks})
    approve(project)
    turns = [{"tool": "Bash", "input": {"command": "echo still ran"}}, MARKER, "Done."]
    model, events, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    first = model.requests[0].messages[0].text
    assert f"project at {project}" in first and "task T-1" in first
    assert answers(model, 2) == ["still ran"]  # a hook that times out lets the call go on
    ran = [(e.event, e.outcome) for e in events if isinstance(e, HookRan)]
    assert ran == [
        ("SessionStart", "ok"),
        ("UserPromptSubmit", "ok"),
        ("PreToolUse", "timed_out"),
        ("SessionEnd", "ok"),
    ]
    end = json.loads((project.parent / "session-end.json").read_text())
    assert end["hook_event_name"] == "SessionEnd" and end["reason"] == "other"


async def test_a_delegated_agents_end_fires_subagent_stop_matched_by_its_name(project: Path) -> None:
    helper = "---\nname: helper\ndescription: Checks things.\ntools: Read\n---\nYou check things.\n"
    (project / ".claude/agents/helper.md").write_text(helper)
    check = """#!/usr/bin/env bash
{ cat; echo; } >> "$CLAUDE_PROJECT_DIR/../sub-stops.jsonl"
[ -e "$CLAUDE_PROJECT_DIR/../told" ] && exit 0
touch "$CLAUDE_PROJECT_DIR/../told"
echo "Say CHECKED in capitals." >&2
exit 2
"""
    script(project, "check.sh", check)
    settings(project, {"hooks": hook("SubagentStop", ".claude/hooks/check.sh", "helper")})
    approve(project)
    delegate = {"subagent_type": "helper", "description": "Check", "prompt": "Check it."}
    turns = [{"tool": "Agent", "input": delegate}, "Checked.", "CHECKED.", MARKER, "Done."]
    model, events, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    assert model.requests[2].messages[-1].text == "Say CHECKED in capitals."  # the helper was sent back
    assert answers(model, 4) == ["CHECKED."]  # and reported what it said after
    stops = [json.loads(line) for line in (project.parent / "sub-stops.jsonl").read_text().splitlines()]
    assert [(s["agent_type"], s["stop_hook_active"]) for s in stops] == [("helper", False), ("helper", True)]
    assert stops[0]["agent_id"] and stops[0]["hook_event_name"] == "SubagentStop"
    ran = [e for e in events if isinstance(e, HookRan)]
    assert [(e.subject, e.outcome) for e in ran] == [("helper", "blocked"), ("helper", "ok")]
    assert all(e.via for e in ran)  # nested under the Agent call, like the helper's own steps


async def test_a_hook_script_changed_after_approval_never_runs(project: Path) -> None:
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.approvals import approval_state
    from shopfloor.specs.claude_settings import load_claude_settings

    script(project, "guard.sh", GUARD)
    settings(project, {"hooks": hook("PreToolUse", '"$CLAUDE_PROJECT_DIR"/.claude/hooks/guard.sh', "Bash")})
    approve(project)
    # The agent rewrites the guard (hooks run outside its sandbox), then tries what the guard refuses.
    turns = [
        {"tool": "Bash", "input": {"command": "printf 'exit 0\\n' > .claude/hooks/guard.sh"}},
        {"tool": "Bash", "input": {"command": "rm src/app.py"}},
        MARKER,
        "Done.",
    ]
    model, _, _ = await run_worker(project, turns)
    refused = answers(model, 3)[0]
    assert refused.startswith(
        "Error: a PreToolUse hook blocked this call: .claude/hooks/guard.sh is not the "
    )
    assert "`git checkout -- .claude/hooks/guard.sh`" in refused
    assert (project / "src/app.py").exists()
    # The approval covers what the script holds: the changed set needs approving again.
    state = approval_state(load_claude_settings(project), discover_agents(project))
    assert state.changed and not state.ok


async def test_disable_all_hooks_silences_an_agent_files_own_hooks_too(project: Path) -> None:
    stop = {"Stop": [{"hooks": [{"type": "command", "command": 'touch "$CLAUDE_PROJECT_DIR/../stop-ran"'}]}]}
    agent(project, extra=f"hooks: {json.dumps(stop)}\n")
    settings(project, {"disableAllHooks": True}, name="settings.local.json")
    _, events, outcome = await run_worker(project, [MARKER, "Done."])  # nothing to approve: nothing runs
    assert outcome == "completed"
    assert not (project.parent / "stop-ran").exists()
    assert not any(isinstance(e, HookRan) for e in events)
