"""Where shopfloor keeps its state in a checkout: every `.orchestrator/` path, named once.

A `Layout` is rooted at a checkout: the user's project, or a task's worktree (which has its own
`.orchestrator/complete/` for the agent's marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ORCHESTRATOR_DIR = ".orchestrator"
"""Harness state, never part of a task's work: the tree hash leaves it out."""
TASK_QUEUE = Path(ORCHESTRATOR_DIR, "task_queue.md")
ISSUE_QUEUE = Path(ORCHESTRATOR_DIR, "issue_queue.md")
MARKER_DIR = Path(ORCHESTRATOR_DIR, "complete")
"""Relative paths, as agents' prompts name them."""
MarkerKind = Literal["done", "failed"]


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def state_dir(self) -> Path:
        return self.root / ORCHESTRATOR_DIR

    @property
    def task_queue(self) -> Path:
        return self.root / TASK_QUEUE

    @property
    def issue_queue(self) -> Path:
        return self.root / ISSUE_QUEUE

    @property
    def state_db(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def run_lock(self) -> Path:
        """Locked by the live run (one per project); holds its pid."""
        return self.state_dir / "run.lock"

    @property
    def marker_dir(self) -> Path:
        return self.root / MARKER_DIR

    def marker(self, task_id: str, kind: MarkerKind = "done") -> Path:
        """The agent's completion marker, `complete/<TASK-ID>.done` (or `.failed`)."""
        return self.marker_dir / f"{task_id}.{kind}"

    @property
    def verdict_dir(self) -> Path:
        return self.state_dir / "verdicts"

    def verdict(self, task_id: str) -> Path:
        """The gate's verdict on a task, kept apart from the agent's own marker."""
        return self.verdict_dir / f"{task_id}.json"

    @property
    def worktrees_dir(self) -> Path:
        return self.state_dir / "worktrees"

    def worktree(self, task_id: str) -> Path:
        return self.worktrees_dir / task_id

    @property
    def removed_worktrees(self) -> Path:
        """Where a worktree being removed is moved first, so it leaves its place at once."""
        return self.worktrees_dir / ".removed"

    @property
    def runs_dir(self) -> Path:
        """Agent transcripts, one folder per agent run."""
        return self.state_dir / "runs"

    def transcript(self, run_id: str, task_id: str) -> Path:
        return self.runs_dir / run_id / f"{task_id}.jsonl"

    @property
    def reports_dir(self) -> Path:
        return self.state_dir / "reports"

    def failure_report(self, task_id: str) -> Path:
        return self.reports_dir / f"{task_id}-failure.md"

    def gate_report(self, task_id: str, round_: int) -> Path:
        """Every gate round's report on a task, kept after the retry that followed it."""
        return self.reports_dir / task_id / f"gate-{round_}.json"

    @property
    def env_logs_dir(self) -> Path:
        """Setup logs of the task worktrees' environments, one per task, for a person to read."""
        return self.state_dir / "env"

    def env_log(self, name: str) -> Path:
        return self.env_logs_dir / f"{name}.log"

    @property
    def env_cache_dir(self) -> Path:
        """Installed environments (`.venv`, `node_modules`) kept by their lockfiles' hash for reuse."""
        return self.state_dir / "env-cache"

    @property
    def env_stamp(self) -> Path:
        """In a worktree: the key of the environment installed there, so a retry keeps it."""
        return self.state_dir / "env.json"

    def external_prompt(self, task_id: str, session: int) -> Path:
        """The prompt file an external (`command:`) agent reads."""
        return self.state_dir / "prompts" / f"{task_id}.{session}.md"
