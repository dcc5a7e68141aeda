"""The verdict written into the task's completion marker, and whether it still holds for the tree."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from shopfloor.gate.report import GateReport
from shopfloor.gate.treehash import tree_hash

MARKER_DIR = Path(".orchestrator") / "complete"


def marker_path(tree: Path, task_id: str) -> Path:
    return tree / MARKER_DIR / f"{task_id}.done"


def write_verdict_marker(tree: Path, report: GateReport) -> Path:
    """Replace `.orchestrator/complete/<TASK-ID>.done` with the report as JSON; returns its path.

    The marker folder is left out of the tree hash, so writing it does not void the verdict.
    """
    if not report.task_id:
        raise ValueError("a verdict marker needs the report's task id")
    path = marker_path(tree, report.task_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_verdict_marker(marker: Path) -> GateReport | None:
    """The report in a marker, or None when the marker is missing or is not a gate verdict (an agent's)."""
    try:
        return GateReport.model_validate_json(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None


async def verdict_is_current(tree: Path, marker: Path) -> bool:
    """True when `marker` holds a verdict and the tree still hashes to what the checks ran on."""
    report = read_verdict_marker(marker)
    if report is None:
        return False
    now = await tree_hash(tree)
    return now in {report.tree_hash, report.tree_hash_after}
