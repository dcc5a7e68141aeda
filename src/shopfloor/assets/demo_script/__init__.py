"""Scripted agent runs for `shopfloor demo`: one YAML script per run, played by ScriptedModel."""

from __future__ import annotations

from pathlib import Path

DECOMPOSITION = "decomposition"
TASK_IDS = ("TASK-001", "TASK-002", "TASK-003", "TASK-004", "TASK-005")
GATE_RETRY_TASK = "TASK-003"
"""The task whose first attempt fails the gate (SQL built with an f-string) and passes on the retry."""


def script_for(run_id: str) -> Path:
    """The script for one agent run (`decomposition` or a task id); FileNotFoundError when there is none."""
    path = Path(__file__).with_name(f"{run_id}.yaml")
    if run_id not in (DECOMPOSITION, *TASK_IDS) or not path.is_file():
        raise FileNotFoundError(f"no demo script for {run_id!r}")
    return path
