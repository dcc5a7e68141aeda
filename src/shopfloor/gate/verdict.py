"""The gate's verdict on a task, in its own file beside the agent's marker, and whether it still holds.

`.orchestrator/verdicts/<TASK-ID>.json` holds the report; the agent's `.orchestrator/complete/<TASK-ID>.done`
keeps what the agent wrote. Both live under `.orchestrator/`, which the tree hash leaves out, so writing
them never voids the verdict.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from shopfloor.gate.report import GateReport
from shopfloor.gate.treehash import tree_hash
from shopfloor.layout import Layout


def verdict_path(tree: Path, task_id: str) -> Path:
    return Layout(tree).verdict(task_id)


def write_verdict(tree: Path, report: GateReport) -> Path:
    """Write the report as the task's verdict in `tree` (atomically); returns its path."""
    if not report.task_id:
        raise ValueError("a verdict needs the report's task id")
    path = verdict_path(tree, report.task_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_verdict(path: Path) -> GateReport | None:
    """The report in a verdict file, or None when it is missing or not a gate report."""
    try:
        return GateReport.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None


async def verdict_is_current(tree: Path, path: Path) -> bool:
    """True when `path` holds a verdict and the tree still hashes to what the checks ran on."""
    report = read_verdict(path)
    if report is None:
        return False
    now = await tree_hash(tree)
    return now in {report.tree_hash, report.tree_hash_after}
