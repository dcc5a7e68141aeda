"""A task's story, read from the run's events: attempts, agent sessions, every gate round, merges.

The transcript says what the agent did turn by turn; this says what happened to the task, in order, so
a failed gate round stays visible after the retry that fixed it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, JsonValue, ValidationError

from shopfloor.gate.report import GateReport
from shopfloor.layout import Layout
from shopfloor.orchestrator.state_records import EventRecord

HISTORY_KINDS = (
    "task_started",
    "env_ready",
    "attempt_started",
    "run_started",
    "user_message",
    "run_finished",
    "gate_round",
    "merge_conflict",
    "task_merged",
    "attempt_ended",
    "lease_expired",
    "failure_report",
    "task_status",
)
_FINAL = frozenset({"completed", "failed", "blocked", "skipped"})

StepKind = Literal[
    "started",
    "environment",
    "attempt",
    "session",
    "gate",
    "conflict",
    "merged",
    "attempt_ended",
    "lease_expired",
    "failure_report",
    "ended",
    "stopped",
]


Prompt = Literal["task", "gate_feedback", "merge_conflict", "message"]


class HistoryStep(BaseModel):
    """One thing that happened to the task; the page phrases it from these fields."""

    kind: StepKind
    ts: float
    attempt: int = 0
    status: str | None = None
    """The step's word for a badge: a session's outcome, a gate verdict, an attempt's result, where the
    task's environment came from (setup, cache, kept, none)."""
    detail: str = ""
    """One line: why the task ended, what the gate said, what the agent was sent, the setup log."""
    session: int | None = None
    """A session's number in the task's transcript (1 is the first), for a link to it."""
    prompt: Prompt | None = None
    """What started the session: the task prompt, the gate's report, a merge conflict."""
    round: int | None = None
    """A gate round's number, for a link to its report."""
    message: str = ""
    """The first line of what opened a session after the first: the gate's report, a conflict."""
    turns: int | None = None
    duration_s: float | None = None
    cost_usd: float | None = None
    tokens: int | None = None
    commit: str | None = None
    files: list[str] = Field(default_factory=list)


class GateRoundView(BaseModel):
    """One gate round's full report, kept however the task went on."""

    round: int
    attempt: int
    ts: float
    report: GateReport
    mutation: dict[str, JsonValue] | None = None
    """A mutation section the report's own type does not read (another gate's shape), kept as it came."""
    file: str | None = None
    """The report's own file under `.orchestrator/reports/`, when it still holds this round."""


class TaskHistory(BaseModel):
    steps: list[HistoryStep] = Field(default_factory=list)
    gate_rounds: list[GateRoundView] = Field(default_factory=list)


def prompt_kind(text: str, first: bool) -> Prompt:
    if first:
        return "task"
    if text.startswith("VERIFICATION GATE:"):
        return "gate_feedback"
    if text.startswith("Your branch ") and " conflicts with " in text:
        return "merge_conflict"
    return "message"


def _num(value: JsonValue, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) else default


def _int(value: JsonValue) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _tokens(usage: JsonValue) -> int:
    if not isinstance(usage, dict):
        return 0
    return sum(
        _int(usage.get(k))
        for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    )


def gate_summary(report: GateReport) -> str:
    """What a gate round found, in one line."""
    failed = sum(not c.passed for c in report.checks)
    parts = [f"{len(report.checks) - failed} of {len(report.checks)} checks passed"]
    if report.findings:
        severities = Counter(f.severity for f in report.findings)
        counts = ", ".join(f"{severities[s]} {s}" for s in ("high", "medium", "low") if severities[s])
        parts.append(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} ({counts})")
    if report.tamper:
        parts.append(f"{len(report.tamper)} protected file{'s' if len(report.tamper) != 1 else ''} changed")
    mutation = report.mutation
    if mutation is not None and mutation.status == "ran" and mutation.score is not None:
        mutants = mutation.killed + mutation.survived
        parts.append(f"mutation score {mutation.score:.0%} ({mutants} mutant{'s' if mutants != 1 else ''})")
    if report.verdict == "fail" and report.reasons:
        parts.append("failed on: " + "; ".join(report.reasons))
    elif report.verdict == "environment":
        parts.append("could not judge: " + "; ".join(report.environment))
    return "; ".join(parts)


class _Builder:
    def __init__(self, project: Path, task_id: str) -> None:
        self.layout = Layout(project)
        self.project = project
        self.task_id = task_id
        self.history = TaskHistory()
        self.attempt = 0
        self.sessions = 0
        self.open: HistoryStep | None = None
        """The session in progress: filled in when its run_finished arrives."""
        self.last_finish: dict[str, JsonValue] | None = None
        """The agent run's last run_finished: its totals are cumulative, a session's are the difference."""
        self.prompted = False

    def session(self, ts: float, prompt: Prompt, message: str = "") -> None:
        self.sessions += 1
        self.open = HistoryStep(
            kind="session", ts=ts, attempt=self.attempt, session=self.sessions, prompt=prompt, message=message
        )
        self.history.steps.append(self.open)

    def add(self, event: EventRecord) -> None:
        p = event.payload
        if p.get("via"):
            return  # a sub-agent's step, or a tool's own model call: part of the session it came from
        ts = _num(p.get("ts"), event.ts)
        steps = self.history.steps
        match event.kind:
            case "task_started":
                steps.append(
                    HistoryStep(kind="started", ts=ts, detail=f"{p.get('agent')} on {p.get('model')}")
                )
            case "env_ready":
                steps.append(
                    HistoryStep(
                        kind="environment",
                        ts=ts,
                        status=str(p.get("source", "")),
                        duration_s=_num(p.get("seconds")),
                        detail=self.relative(str(p.get("log") or "")),
                    )
                )
            case "attempt_started":
                self.attempt = _int(p.get("attempt")) or self.attempt + 1
                steps.append(HistoryStep(kind="attempt", ts=ts, attempt=self.attempt))
            case "run_started":
                self.last_finish = None
                self.prompted = False
                self.session(ts, "task")
            case "user_message":
                text = str(p.get("text", ""))
                first = not self.prompted
                self.prompted = True
                if first and self.open is not None and self.open.prompt == "task":
                    return  # the task prompt that opened the session
                if self.open is None:  # a session goes on with a new message; reminders stay inside one
                    line = text.strip().splitlines()[0][:200] if text.strip() else ""
                    self.session(ts, prompt_kind(text, first), line)
            case "run_finished":
                self.finish_session(p)
            case "gate_round":
                self.gate(p, ts)
            case "merge_conflict":
                files = p.get("files")
                steps.append(
                    HistoryStep(
                        kind="conflict",
                        ts=ts,
                        attempt=self.attempt,
                        detail=str(p.get("integration", "")),
                        files=[str(f) for f in files] if isinstance(files, list) else [],
                    )
                )
            case "task_merged":
                steps.append(
                    HistoryStep(kind="merged", ts=ts, attempt=self.attempt, commit=str(p.get("commit")))
                )
            case "attempt_ended":
                steps.append(
                    HistoryStep(
                        kind="attempt_ended",
                        ts=ts,
                        attempt=_int(p.get("attempt")),
                        status=str(p.get("result") or p.get("outcome")),
                        detail=str(p.get("reason", "")),
                    )
                )
            case "lease_expired":
                detail = f"silent for {_num(p.get('lease_s')):g}s"
                steps.append(HistoryStep(kind="lease_expired", ts=ts, attempt=self.attempt, detail=detail))
            case "failure_report":
                path = str(p.get("path", ""))
                steps.append(HistoryStep(kind="failure_report", ts=ts, attempt=self.attempt, detail=path))
            case "task_status":
                status = str(p.get("status"))
                if status in _FINAL:
                    steps.append(
                        HistoryStep(kind="ended", ts=ts, status=status, detail=str(p.get("reason", "")))
                    )
                elif status == "pending" and p.get("detail"):
                    steps.append(HistoryStep(kind="stopped", ts=ts, detail=str(p.get("detail"))))
            case _:
                pass

    def finish_session(self, p: dict[str, JsonValue]) -> None:
        step = self.open
        if step is None:
            return
        before = self.last_finish or {}
        step.status = str(p.get("outcome"))
        step.detail = str(p.get("reason", ""))
        step.turns = max(0, _int(p.get("turns")) - _int(before.get("turns")))
        step.duration_s = _num(p.get("duration_s"))
        cost = p.get("cost_usd")
        step.cost_usd = max(0.0, _num(cost) - _num(before.get("cost_usd"))) if cost is not None else None
        step.tokens = max(0, _tokens(p.get("usage")) - _tokens(before.get("usage")))
        self.last_finish = p
        self.open = None

    def gate(self, p: dict[str, JsonValue], ts: float) -> None:
        raw = p.get("report")
        if not isinstance(raw, dict):
            return
        loose: dict[str, JsonValue] | None = None
        try:
            report = GateReport.model_validate(raw)
        except ValidationError:
            # A mutation section of another shape (an older or newer gate) must not lose the round.
            mutation = raw.get("mutation")
            try:
                report = GateReport.model_validate({k: v for k, v in raw.items() if k != "mutation"})
            except ValidationError:
                return
            loose = mutation if isinstance(mutation, dict) else None
        n = _int(p.get("round")) or len(self.history.gate_rounds) + 1
        view = GateRoundView(
            round=n,
            attempt=_int(p.get("attempt")) or self.attempt,
            ts=ts,
            report=report,
            mutation=loose,
            file=self.report_file(n, report),
        )
        self.history.gate_rounds.append(view)
        took = (report.finished_at - report.started_at).total_seconds()
        self.history.steps.append(
            HistoryStep(
                kind="gate",
                ts=ts,
                attempt=view.attempt,
                round=n,
                status=report.verdict,
                detail=gate_summary(report),
                duration_s=max(0.0, took),
            )
        )

    def relative(self, path: str) -> str:
        """`path` from the project's root when it lies inside (a setup log), else as it is."""
        if not path or not Path(path).is_absolute() or not Path(path).is_relative_to(self.project):
            return path
        return Path(path).relative_to(self.project).as_posix()

    def report_file(self, n: int, report: GateReport) -> str | None:
        path = self.layout.gate_report(self.task_id, n)
        try:
            kept = GateReport.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if kept.tree_hash != report.tree_hash or kept.started_at != report.started_at:
            return None  # a later run's round of the same number
        return str(path.relative_to(self.project))


def task_history(project: Path, task_id: str, events: list[EventRecord]) -> TaskHistory:
    """The story of one task in one run, from its events (oldest first)."""
    builder = _Builder(project, task_id)
    for event in events:
        builder.add(event)
    return builder.history
