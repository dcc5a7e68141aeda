"""Completion markers: `.orchestrator/complete/<TASK-ID>.done` (or `.failed`), read, mirrored, awaited.

Every function takes a checkout root (a task's worktree or the project) and finds the marker folder in it.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
from pydantic import JsonValue

from shopfloor.layout import Layout
from shopfloor.queue.files import atomic_write_text

MarkerKind = Literal["done", "failed"]
WaitOutcome = Literal["done", "failed", "timeout"]
_KINDS: tuple[MarkerKind, ...] = ("done", "failed")


def marker_dir(root: Path) -> Path:
    return Layout(root).marker_dir


def marker_path(root: Path, task_id: str, kind: MarkerKind = "done") -> Path:
    return Layout(root).marker(task_id, kind)


@dataclass(frozen=True)
class Marker:
    task_id: str
    kind: MarkerKind
    path: Path
    text: str
    data: dict[str, JsonValue] | None
    """The content when it is a JSON object, else None (plain text, or empty)."""

    @property
    def summary(self) -> str:
        """What the agent said about its work: a JSON `summary` field, or the plain text."""
        if self.data is not None and isinstance(self.data.get("summary"), str):
            return str(self.data["summary"])
        return self.text.strip()


def read_marker(root: Path, task_id: str) -> Marker | None:
    """The task's marker, if any; when both `.done` and `.failed` exist the newer one counts."""
    found: list[tuple[float, int, Marker]] = []
    for rank, kind in enumerate(_KINDS):
        path = marker_path(root, task_id, kind)
        try:
            mtime = path.stat().st_mtime
            text = path.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, IsADirectoryError):
            continue
        found.append((mtime, rank, Marker(task_id, kind, path, text, _json_object(text))))
    return max(found, key=lambda item: item[:2])[2] if found else None


def _json_object(text: str) -> dict[str, JsonValue] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def clear_markers(root: Path, task_id: str) -> None:
    """Remove the task's markers, e.g. from its worktree before a retry, so an old one is not taken as new."""
    for kind in _KINDS:
        marker_path(root, task_id, kind).unlink(missing_ok=True)


def mirror_marker(worktree: Path, project: Path, task_id: str) -> Path | None:
    """Copy the task's marker from its worktree to the main checkout (replacing the other kind there)."""
    marker = read_marker(worktree, task_id)
    if marker is None:
        return None
    other: MarkerKind = "failed" if marker.kind == "done" else "done"
    target = marker_path(project, task_id, marker.kind)
    atomic_write_text(target, marker.text)
    marker_path(project, task_id, other).unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class MarkerWait:
    outcome: WaitOutcome
    marker: Marker | None


async def wait_for_marker(root: Path, task_id: str, deadline: float, *, recheck_s: float = 1.0) -> MarkerWait:
    """Wait until the task's marker appears in `root` or `deadline` (a `time.monotonic()` value) passes.

    Driven by filesystem events (watchfiles); a marker that exists already is returned at once. The folder
    is also re-read every `recheck_s` as a safety net for filesystems that drop events.
    """
    from watchfiles import awatch

    folder = marker_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    found = read_marker(root, task_id)
    if found is not None:
        return MarkerWait(found.kind, found)
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:

        async def alarm() -> None:
            await anyio.sleep(max(0.0, deadline - time.monotonic()))
            stop.set()

        tg.start_soon(alarm)
        watcher = awatch(
            folder,
            watch_filter=None,
            debounce=200,
            step=20,
            stop_event=stop,
            rust_timeout=max(1, int(recheck_s * 1000)),
            yield_on_timeout=True,
            recursive=False,
        )
        async with contextlib.aclosing(watcher):
            async for _ in watcher:
                found = read_marker(root, task_id)
                if found is not None or stop.is_set():
                    break
        tg.cancel_scope.cancel()
    found = found or read_marker(root, task_id)
    return MarkerWait(found.kind, found) if found else MarkerWait("timeout", None)
