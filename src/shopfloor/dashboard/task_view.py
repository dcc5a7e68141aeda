"""The task page: attempts, the gate's report, the branch's diff and the agent's transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from shopfloor.agent.events import (
    Event,
    ModelReplied,
    RunFinished,
    RunStarted,
    UserMessage,
    read_transcript,
)
from shopfloor.dashboard.history import GateRoundView, HistoryStep, TaskHistory, prompt_kind
from shopfloor.dashboard.task_rows import TaskRow
from shopfloor.gate.report import GateReport
from shopfloor.gate.verdict import read_verdict, verdict_path
from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.orchestrator.state_records import AttemptRecord, TaskRecord
from shopfloor.orchestrator.worktrees import branch_name
from shopfloor.queue.tasks import Task
from shopfloor.vcs import GitError, git

MAX_DIFF_CHARS = 200_000
# A page with tens of thousands of transcript rows is unusable; the newest ones matter most.
MAX_TRANSCRIPT_EVENTS = 2_000
_GIT_TIMEOUT_S = 20.0


class AttemptView(BaseModel):
    n: int
    outcome: str | None
    started: float
    finished: float | None
    duration_s: float | None
    cost_usd: float
    tokens: int
    transcript: str | None


class DiffView(BaseModel):
    """The task branch against the commit it started from."""

    branch: str | None = None
    base: str | None = None
    stat: str = ""
    text: str = ""
    truncated: bool = False
    note: str | None = None
    """Why there is no diff (no branch yet, git failed), for the page to say."""


class TranscriptView(BaseModel):
    paths: list[str] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    total: int = 0
    """Events in the files; `events` holds the newest MAX_TRANSCRIPT_EVENTS of them."""
    sessions_before: int = 0
    """Agent sessions that began in the events left out, so the page numbers the rest as the history does."""
    turns: int = 0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0


class TaskDetail(BaseModel):
    task: TaskRow
    run_id: int | None
    objective: str = ""
    criteria: list[str] = Field(default_factory=list)
    branch: str | None = None
    worktree: str | None = None
    verified_tree: str | None = None
    merged_commit: str | None = None
    dependents: list[str] = Field(default_factory=list)
    """Tasks of the queue that wait for this one."""
    attempts: list[AttemptView] = Field(default_factory=list)
    history: list[HistoryStep] = Field(default_factory=list)
    gate_rounds: list[GateRoundView] = Field(default_factory=list)
    """Every gate round of the task in this run, oldest first."""
    gate: GateReport | None = None
    """The newest report: the last round's, or the verdict file's when the run recorded no round."""
    gate_source: Literal["event", "verdict"] | None = None
    diff: DiffView = Field(default_factory=DiffView)
    transcript: TranscriptView = Field(default_factory=TranscriptView)


def _attempt(a: AttemptRecord) -> AttemptView:
    duration = a.finished - a.started if a.finished is not None else None
    return AttemptView(
        n=a.n,
        outcome=a.outcome,
        started=a.started,
        finished=a.finished,
        duration_s=duration,
        cost_usd=a.cost_usd,
        tokens=a.tokens,
        transcript=a.transcript,
    )


def _gate(
    rounds: list[GateRoundView], project: Path, worktree: str | None, task_id: str
) -> tuple[GateReport | None, Literal["event", "verdict"] | None]:
    """The newest round recorded in the store, else the verdict file in the worktree or the project."""
    if rounds:
        return rounds[-1].report, "event"
    roots = ([Path(worktree)] if worktree else []) + [project]
    for root in roots:
        report = read_verdict(verdict_path(root, task_id))
        if report is not None:
            return report, "verdict"
    return None, None


def _transcript_paths(
    project: Path, run_id: int | None, task_id: str, attempts: list[AttemptRecord]
) -> list[Path]:
    paths: list[Path] = []
    for a in attempts:
        if a.transcript:
            path = Path(a.transcript)
            path = path if path.is_absolute() else project / path
            if path not in paths:
                paths.append(path)
    # A running attempt has not stored its path yet; the runner writes it at runs/run-<id>/<TASK>.jsonl.
    if run_id is not None:
        live = Layout(project).transcript(f"run-{run_id}", task_id)
        if live not in paths:
            paths.append(live)
    return [p for p in paths if p.is_file()]


def _transcript(paths: list[Path]) -> TranscriptView:
    events: list[Event] = []
    for path in paths:
        try:
            events += read_transcript(path)
        except OSError:
            continue
    view = TranscriptView(paths=[str(p) for p in paths], total=len(events))
    kept = len(events) - MAX_TRANSCRIPT_EVENTS
    view.sessions_before = _sessions(events[:kept]) if kept > 0 else 0
    for event in events:
        if isinstance(event, ModelReplied):
            view.turns = max(view.turns, event.turn)
            view.usage = view.usage + event.usage
            view.cost_usd += event.cost_usd or 0.0
        elif isinstance(event, RunFinished):
            view.turns = max(view.turns, event.turns)
    view.events = events[-MAX_TRANSCRIPT_EVENTS:]
    return view


def _sessions(events: list[Event]) -> int:
    """Agent sessions begun in these events, counted as the history counts them."""
    count, prompted, open_ = 0, False, False
    for event in events:
        if event.via:
            continue  # a sub-agent's messages are not the task agent's sessions
        if isinstance(event, RunStarted):
            count, prompted, open_ = count + 1, False, True
        elif isinstance(event, RunFinished):
            open_ = False
        elif isinstance(event, UserMessage):
            first, prompted = not prompted, True
            if not open_ and prompt_kind(event.text, first) != "task":
                count, open_ = count + 1, True
    return count


def _diff(project: Path, branch: str | None, base: str | None, task_id: str) -> DiffView:
    view = DiffView(branch=branch, base=base)
    try:
        if branch is None:
            candidate = branch_name(task_id)
            if git(project, "rev-parse", "--verify", "-q", f"refs/heads/{candidate}", check=False).ok:
                branch = view.branch = candidate
            else:
                view.note = "the task has no branch yet"
                return view
        if base is None:
            head = git(project, "merge-base", "HEAD", branch, check=False, timeout_s=_GIT_TIMEOUT_S)
            if not head.ok:
                view.note = f"no common ancestor of HEAD and {branch}"
                return view
            base = view.base = head.stdout.strip()
        if branch.startswith("-") or base.startswith("-"):
            view.note = "the recorded branch or base is not a git revision"  # never let it pass as an option
            return view
        args = ("diff", "--no-color", "--no-ext-diff", base, branch)
        view.stat = git(project, *args[:3], "--stat", *args[3:], timeout_s=_GIT_TIMEOUT_S).stdout
        text = git(project, *args, timeout_s=_GIT_TIMEOUT_S).stdout
    except (GitError, OSError) as err:
        view.note = str(err)
        return view
    if len(text) > MAX_DIFF_CHARS:
        view.truncated = True
        text = text[:MAX_DIFF_CHARS]
    view.text = text
    if not text:
        view.note = f"{branch} has no changes against {base[:12]}"
    return view


def task_detail(
    project: Path,
    *,
    run_id: int | None,
    row: TaskRow,
    record: TaskRecord | None,
    queued: Task | None,
    attempts: list[AttemptRecord],
    history: TaskHistory,
) -> TaskDetail:
    task_id = row.task_id
    gate, source = _gate(history.gate_rounds, project, record.worktree if record else None, task_id)
    detail = TaskDetail(
        task=row,
        run_id=run_id,
        objective=queued.objective if queued else "",
        criteria=list(queued.criteria) if queued else [],
        attempts=[_attempt(a) for a in attempts],
        history=history.steps,
        gate_rounds=history.gate_rounds,
        gate=gate,
        gate_source=source,
        transcript=_transcript(_transcript_paths(project, run_id, task_id, attempts)),
    )
    if record is not None:
        detail.branch = record.branch
        detail.worktree = record.worktree
        detail.verified_tree = record.verified_tree
        detail.merged_commit = record.merged_commit
    if record is not None or queued is not None:
        branch = record.branch if record else None
        detail.diff = _diff(project, branch, gate.base_ref if gate else None, task_id)
    return detail
