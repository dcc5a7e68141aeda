"""The subprocess seam: scrubbed environment, output caps, process groups and timeouts."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import anyio
import pytest

from shopfloor.tools.process import (
    OutputBuffer,
    StreamOutput,
    child_env,
    cut_middle,
    group_alive,
    run_process,
    start_process,
)


def unique_sleep() -> str:
    """A `sleep` argument no other process on the machine uses, so the process can be found by it."""
    return f"300.{uuid.uuid4().int % 10**9:09d}"


def processes_running(marker: str) -> list[str]:
    """Command lines of live processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:  # zombies have an empty cmdline, so only live processes match
            found.append(cmd)
    return found


def left_behind(marker: str) -> list[str]:
    """Processes with `marker` still alive after allowing the kernel a moment to deliver SIGKILL."""
    deadline = time.monotonic() + 5
    while (found := processes_running(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_child_env_is_an_allowlist_plus_what_the_user_lists() -> None:
    base = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "VIRTUAL_ENV": "/venv",
        "ANTHROPIC_API_KEY": "sk-1",
        "ANTHROPIC_API_KEY_OLD": "sk-0",
        "OPENAI_KEY": "sk-2",
        "GITHUB_PAT": "ghp",
        "AWS_ACCESS_KEY_ID": "AKIA",
        "DATABASE_URL": "postgres://u:p@h/db",
        "MYAPP_MODE": "dev",
        "MYAPP_LEVEL": "3",
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
    }
    env = child_env(base=base, allow=["MYAPP_*"], path_prepend=["/proj/.venv/bin"], extra={"FOO": "bar"})
    assert env["PATH"] == "/proj/.venv/bin:/usr/bin" and env["HOME"] == "/home/me"
    assert env["LANG"] == env["LC_ALL"] == "C.UTF-8" and env["VIRTUAL_ENV"] == "/venv"
    assert env["MYAPP_MODE"] == "dev" and env["MYAPP_LEVEL"] == "3"
    # Names no denylist would catch stay out all the same: only what is listed gets in.
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_OLD", "OPENAI_KEY", "GITHUB_PAT"):
        assert name not in env
    assert "AWS_ACCESS_KEY_ID" not in env and "DATABASE_URL" not in env and "SSH_AUTH_SOCK" not in env
    assert env["CI"] == "true" and env["PAGER"] == "cat" and env["GIT_PAGER"] == "cat"
    assert env["FOO"] == "bar"
    assert child_env(base=base, allow=["DATABASE_URL"])["DATABASE_URL"] == "postgres://u:p@h/db"


def test_cut_middle_keeps_head_and_tail_and_counts_the_cut() -> None:
    text = "".join(f"{i}\n" for i in range(10_000))
    out = cut_middle(text, 1000)
    assert out.startswith("0\n1\n2\n") and out.endswith("9998\n9999\n")
    assert f"[... {len(text) - 1000} characters cut ...]" in out
    assert cut_middle("short", 1000) == "short"


def test_output_buffer_keeps_both_ends_and_reports_dropped_bytes() -> None:
    buf = OutputBuffer(head=4, tail=4)
    buf.feed(b"abcdef")
    buf.feed(b"ghijkl")
    assert buf.text() == "abcd\n[... 4 bytes dropped ...]\nijkl"


def test_stream_output_hands_out_only_new_text_and_keeps_split_characters_whole() -> None:
    out = StreamOutput()
    snowman = "☃".encode()
    out.feed(b"one\n" + snowman[:1])
    assert out.take() == "one\n"
    out.feed(snowman[1:] + b"\n")
    assert out.take() == "☃\n"
    assert out.take() == ""


@pytest.mark.anyio
async def test_run_process_merges_stdout_and_stderr_and_reports_exit_code(tmp_path: Path) -> None:
    res = await run_process(["bash", "-c", "echo out; echo err >&2; exit 7"], cwd=tmp_path, timeout_s=30)
    assert res.exit_code == 7 and not res.timed_out
    assert "out" in res.output and "err" in res.output


@pytest.mark.anyio
async def test_run_process_closes_stdin(tmp_path: Path) -> None:
    res = await run_process(["bash", "-c", "cat; echo finished"], cwd=tmp_path, timeout_s=30)
    assert res.output.strip() == "finished" and res.exit_code == 0


@pytest.mark.anyio
async def test_child_does_not_see_the_parents_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-do-not-leak")
    res = await run_process(["bash", "-c", "env"], cwd=tmp_path, timeout_s=30)
    assert "sk-ant-do-not-leak" not in res.output
    assert "CI=true" in res.output


@pytest.mark.anyio
async def test_timeout_kills_children_and_grandchildren(tmp_path: Path) -> None:
    marker = unique_sleep()
    script = f"echo started; (sleep {marker} &); sleep {marker} & sleep {marker}"
    res = await run_process(["bash", "-c", script], cwd=tmp_path, timeout_s=0.5)
    assert res.timed_out and res.exit_code is None
    assert "started" in res.output
    assert left_behind(marker) == []


@pytest.mark.anyio
async def test_leftover_background_process_is_killed_when_the_command_ends(tmp_path: Path) -> None:
    marker = unique_sleep()
    res = await run_process(["bash", "-c", f"sleep {marker} & echo done"], cwd=tmp_path, timeout_s=30)
    assert res.exit_code == 0 and res.output.strip() == "done"
    assert left_behind(marker) == []


@pytest.mark.anyio
async def test_started_process_streams_output_and_close_kills_its_group(tmp_path: Path) -> None:
    marker = unique_sleep()
    out = StreamOutput()
    proc = await start_process(["bash", "-c", f"echo ready; sleep {marker}"], cwd=tmp_path, sink=out.feed)
    seen = ""
    with anyio.fail_after(10):
        while "ready" not in seen:
            await anyio.sleep(0.02)
            seen += out.take()
    assert proc.returncode is None and group_alive(proc.pid)
    await proc.close()
    assert proc.returncode is not None
    assert not group_alive(proc.pid)
    assert left_behind(marker) == []
