"""Completion markers: reading, mirroring, and waiting on filesystem events with a deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shopfloor.agent.markers import (
    clear_markers,
    marker_path,
    mirror_marker,
    read_marker,
    wait_for_marker,
)

WRITER = """
import sys, time
from pathlib import Path
time.sleep(float(sys.argv[3]))
target = Path(sys.argv[1])
target.write_text(sys.argv[2])
"""


def _write_later(path: Path, text: str, delay_s: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), text, str(delay_s)])


@pytest.mark.anyio
async def test_marker_written_by_another_process_is_seen(tmp_path: Path) -> None:
    writer = _write_later(marker_path(tmp_path, "TASK-001"), json.dumps({"summary": "built /login"}), 0.3)
    try:
        result = await wait_for_marker(tmp_path, "TASK-001", time.monotonic() + 30)
    finally:
        writer.wait(timeout=30)
    assert result.outcome == "done"
    assert result.marker is not None
    assert result.marker.summary == "built /login"
    assert result.marker.data == {"summary": "built /login"}


@pytest.mark.anyio
async def test_failed_marker_from_another_process(tmp_path: Path) -> None:
    writer = _write_later(marker_path(tmp_path, "TASK-002", "failed"), "tests cannot run: no database\n", 0.2)
    try:
        result = await wait_for_marker(tmp_path, "TASK-002", time.monotonic() + 30)
    finally:
        writer.wait(timeout=30)
    assert result.outcome == "failed"
    assert result.marker is not None and result.marker.summary == "tests cannot run: no database"
    assert result.marker.data is None


@pytest.mark.anyio
async def test_marker_that_already_exists(tmp_path: Path) -> None:
    path = marker_path(tmp_path, "TASK-003")
    path.parent.mkdir(parents=True)
    path.write_text("")
    result = await wait_for_marker(tmp_path, "TASK-003", time.monotonic() + 30)
    assert result.outcome == "done" and result.marker is not None and result.marker.path == path


@pytest.mark.anyio
async def test_timeout_when_nothing_is_written_and_other_files_do_not_count(tmp_path: Path) -> None:
    writer = _write_later(marker_path(tmp_path, "TASK-999"), "someone else's", 0.05)
    try:
        result = await wait_for_marker(tmp_path, "TASK-004", time.monotonic() + 0.5)
    finally:
        writer.wait(timeout=30)
    assert (result.outcome, result.marker) == ("timeout", None)


def test_newer_marker_wins_and_mirroring_replaces_the_other_kind(tmp_path: Path) -> None:
    worktree, project = tmp_path / "wt", tmp_path / "project"
    done, failed = marker_path(worktree, "TASK-005"), marker_path(worktree, "TASK-005", "failed")
    failed.parent.mkdir(parents=True)
    failed.write_text("gave up")
    os.utime(failed, (1_000_000, 1_000_000))
    done.write_text('{"summary": "fixed after all", "files": ["a.py"]}')
    marker = read_marker(worktree, "TASK-005")
    assert marker is not None and (marker.kind, marker.summary) == ("done", "fixed after all")

    stale = marker_path(project, "TASK-005", "failed")
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    assert mirror_marker(worktree, project, "TASK-005") == marker_path(project, "TASK-005")
    assert marker_path(project, "TASK-005").read_text() == done.read_text()
    assert not stale.exists()

    clear_markers(worktree, "TASK-005")
    assert read_marker(worktree, "TASK-005") is None
    assert mirror_marker(worktree, project, "TASK-005") is None
