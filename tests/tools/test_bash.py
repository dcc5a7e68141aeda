"""Bash, BashOutput and KillBash as a model uses them (sandboxed where bwrap works, as in a real run)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from shopfloor.tools.base import ToolResult
from shopfloor.tools.bash import BashOutputTool, BashTool, KillBashTool
from shopfloor.tools.context import ToolContext
from tests.toolcall import call
from tests.tools.test_process import left_behind, unique_sleep

pytestmark = pytest.mark.anyio

bash = BashTool()
output = BashOutputTool()
kill = KillBashTool()


@pytest.fixture
async def ctx(tool_ctx: ToolContext) -> ToolContext:
    """The shared context, with the one-time 'not sandboxed' warning (machines without bwrap) spent."""
    await tool_ctx.shell.notice_once()
    return tool_ctx


async def run(ctx: ToolContext, command: str, **extra: object) -> ToolResult:
    return await call(bash, ctx, command=command, **extra)


async def read_until(ctx: ToolContext, job_id: str, want: str) -> str:
    """Collect BashOutput answers until `want` shows up in them."""
    seen = ""
    with anyio.fail_after(10):
        while want not in seen:
            res = await call(output, ctx, bash_id=job_id)
            assert not res.is_error, res.content
            seen += res.content
            await anyio.sleep(0.05)
    return seen


async def test_output_merges_stdout_and_stderr(ctx: ToolContext) -> None:
    res = await run(ctx, "echo to-out; echo to-err >&2")
    assert not res.is_error
    assert res.content.endswith("to-out\nto-err") or res.content.endswith("to-err\nto-out")


async def test_empty_output_says_so(ctx: ToolContext) -> None:
    res = await run(ctx, "true")
    assert res == ToolResult("(no output)")


async def test_non_zero_exit_is_an_error_with_the_code(ctx: ToolContext) -> None:
    res = await run(ctx, "echo partial; exit 3")
    assert res.is_error
    assert res.content.endswith("partial\nExit code 3")


async def test_syntax_error_shows_bash_message_with_the_commands_line_number(ctx: ToolContext) -> None:
    res = await run(ctx, "echo one\nif then")
    assert res.is_error
    assert "line 2" in res.content and "syntax error" in res.content


async def test_working_directory_persists_and_handles_spaces(ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "my dir").mkdir()
    assert not (await run(ctx, 'cd "my dir" && touch here.txt')).is_error
    res = await run(ctx, "pwd && ls")
    assert res.content == f"{workspace_dir / 'my dir'}\nhere.txt"
    assert ctx.shell.cwd == workspace_dir / "my dir"


async def test_leaving_the_workspace_resets_the_directory_and_says_so(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    res = await run(ctx, "cd / && echo moved")
    assert "moved" in res.content
    assert f"Shell cwd was reset to {workspace_dir}" in res.content
    assert (await run(ctx, "pwd")).content == str(workspace_dir)


async def test_a_deleted_working_directory_falls_back_to_the_root(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    await run(ctx, "mkdir gone && cd gone")
    (workspace_dir / "gone").rmdir()
    res = await run(ctx, "pwd")
    assert not res.is_error
    assert res.content.startswith(str(workspace_dir) + "\n")
    assert "no longer exists" in res.content


async def test_cd_after_an_exit_still_sticks(ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "sub").mkdir()
    res = await run(ctx, "cd sub; exit 2")
    assert res.is_error
    assert (await run(ctx, "pwd")).content == str(workspace_dir / "sub")


async def test_environment_changes_do_not_persist(ctx: ToolContext) -> None:
    await run(ctx, "export SHOPFLOOR_TEST_VAR=set")
    res = await run(ctx, 'echo "[$SHOPFLOOR_TEST_VAR]"')
    assert res.content == "[]"


async def test_api_key_of_the_parent_is_not_visible(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret-value")
    res = await run(ctx, 'echo "[$ANTHROPIC_API_KEY][$GITHUB_TOKEN] CI=$CI PAGER=$PAGER"')
    assert res.content == "[][] CI=true PAGER=cat"


async def test_stdin_is_closed(ctx: ToolContext) -> None:
    res = await run(ctx, "read -r line; echo status=$?", timeout=10_000)
    assert res.content == "status=1"


async def test_timeout_stops_everything_and_keeps_output_so_far(ctx: ToolContext) -> None:
    marker = unique_sleep()
    res = await run(ctx, f"echo before; sleep {marker} & sleep {marker}", timeout=400)
    assert res.is_error
    assert res.content.startswith("before\n")
    assert "timed out after 400 ms" in res.content
    assert left_behind(marker) == []


async def test_large_output_keeps_head_and_tail(ctx: ToolContext) -> None:
    # seq 1 170000 prints a little over 1 MB.
    res = await run(ctx, "seq 1 170000")
    total = sum(len(f"{i}\n") for i in range(1, 170_001)) - 1  # the last newline is trimmed
    assert total > 1_000_000
    assert not res.is_error
    assert res.content.startswith("1\n2\n3\n") and res.content.endswith("169999\n170000")
    assert f"[... {total - 30_000} characters cut ...]" in res.content
    assert len(res.content) < 30_100


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"command": "echo hi", "timeout": "soon"}, ["timeout"]),
        ({"command": "echo hi", "timeout": 0}, ["timeout"]),
        ({"command": "echo hi", "timeout": -5}, ["timeout"]),
        ({"command": "echo hi", "timeout": "nan"}, ["timeout"]),
        ({"timeout": 1000}, ["command", "missing"]),
        ({"command": "echo hi", "cwd": "/"}, ["cwd"]),
        ({"command": "   "}, ["empty"]),
        ({"command": "echo a\x00b"}, ["NUL"]),
        ({"command": "echo hi", "run_in_background": "perhaps"}, ["run_in_background"]),
    ],
)
async def test_bad_input_is_a_tool_error(ctx: ToolContext, raw: dict[str, object], words: list[str]) -> None:
    res = await call(bash, ctx, **raw)
    assert res.is_error
    for word in words:
        assert word in res.content


async def test_timeout_over_the_maximum_is_capped_not_refused(ctx: ToolContext) -> None:
    res = await run(ctx, "echo ok", timeout="99999999999")
    assert res == ToolResult("ok")


async def test_background_job_reports_new_output_then_is_killed(ctx: ToolContext) -> None:
    marker = unique_sleep()
    started = await run(ctx, f"for i in 1 2 3; do echo tick$i; done; sleep {marker}", run_in_background=True)
    assert not started.is_error
    assert "bash_1" in started.content
    seen = await read_until(ctx, "bash_1", "tick3")
    assert "<status>running</status>" in seen
    assert "tick1" in seen and "tick2" in seen
    again = await call(output, ctx, bash_id="bash_1")
    assert "tick" not in again.content and "(no new output)" in again.content

    killed = await call(kill, ctx, shell_id="bash_1")
    assert not killed.is_error and "bash_1" in killed.content
    assert left_behind(marker) == []
    after = await call(output, ctx, bash_id="bash_1")
    assert "<status>killed</status>" in after.content
    twice = await call(kill, ctx, shell_id="bash_1")
    assert twice.is_error and "not running" in twice.content


async def test_background_job_exit_code_is_reported(ctx: ToolContext) -> None:
    await run(ctx, "echo finishing; exit 4", run_in_background=True)
    seen = await read_until(ctx, "bash_1", "<status>failed</status>")
    assert "<exit_code>4</exit_code>" in seen
    assert "finishing" in seen


async def test_filter_keeps_matching_lines_only(ctx: ToolContext) -> None:
    await run(ctx, "printf 'keep 1\\ndrop 2\\nkeep 3\\n'", run_in_background=True)
    await read_until_done(ctx)
    res = await call(output, ctx, bash_id="bash_1", filter="^keep")
    assert "keep 1\nkeep 3" in res.content and "drop" not in res.content


async def read_until_done(ctx: ToolContext) -> None:
    job = ctx.shell.job("bash_1")
    assert job is not None
    with anyio.fail_after(10):
        while job.status == "running":
            await anyio.sleep(0.02)
    # Output may trail the exit a little; the reader is done when the pipe closes.
    await anyio.sleep(0.1)


async def test_bad_ids_and_bad_filter_are_tool_errors(ctx: ToolContext) -> None:
    res = await call(output, ctx, bash_id="bash_42")
    assert res.is_error and "bash_42" in res.content
    res = await call(kill, ctx, shell_id="nope")
    assert res.is_error and "nope" in res.content
    await run(ctx, "echo x", run_in_background=True)
    res = await call(output, ctx, bash_id="bash_1", filter="(unclosed")
    assert res.is_error and "filter" in res.content
    res = await call(output, ctx)
    assert res.is_error and "bash_id" in res.content


async def test_closing_the_session_stops_background_jobs(ctx: ToolContext) -> None:
    markers = [unique_sleep(), unique_sleep()]
    for m in markers:
        await run(ctx, f"sleep {m}", run_in_background=True)
    await ctx.shell.aclose()
    for m in markers:
        assert left_behind(m) == []


def test_schemas_match_the_contract() -> None:
    schema = BashTool.input_schema()
    assert BashTool.name == "Bash" and BashOutputTool.name == "BashOutput" and KillBashTool.name == "KillBash"
    assert schema["required"] == ["command"] and schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"command", "timeout", "description", "run_in_background"}
    assert BashOutputTool.input_schema()["required"] == ["bash_id"]
    assert KillBashTool.input_schema()["required"] == ["shell_id"]
    for word in ("Read", "Grep", "Glob", "run_in_background", "&&", "30000", "quote"):
        assert word.lower() in BashTool.description.lower()
