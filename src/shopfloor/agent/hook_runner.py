"""Running Claude Code hook commands: JSON on stdin, exit codes and JSON output, as Claude Code reads them.

Hooks run on the host (not in the agent's sandbox), in the agent's working directory, with the run's
child environment plus the variables Claude Code sets. The hooks matching one event run together;
each run is reported as a `HookRan` event.

Exit code 0: no decision (stdout is read as JSON when it starts with `{`); 2: blocking, stderr is the
reason; anything else (and a timeout): an error that lets the action go on. A hook whose script (a
file of the project its command names) is not the one approved does not run, and blocks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shopfloor.agent.events import Event, HookOutcomeKind, HookRan, Notice
from shopfloor.specs.hook_config import UNMATCHED_EVENTS, HookCommand, file_digest, matcher_matches
from shopfloor.tools.process import PipedResult, run_piped

Decision = Literal["allow", "deny", "ask", "defer"]
_RANK: dict[Decision, int] = {"allow": 0, "ask": 1, "defer": 2, "deny": 3}
_LEGACY = {"approve": "allow", "block": "deny"}
_PLAIN_CONTEXT = ("UserPromptSubmit", "SessionStart")
"""Events whose plain stdout (exit 0) is added to the model's context."""


@dataclass
class HookOutcome:
    """What every hook that ran for one event said, put together."""

    ran: int = 0
    blocked: bool = False
    reasons: list[str] = field(default_factory=list)
    """Why it blocked: stderr of an exit 2, or the JSON `reason` of a block."""
    decision: Decision | None = None
    """PreToolUse's permission decision (deny > defer > ask > allow)."""
    decision_reason: str = ""
    updated_input: dict[str, Any] | None = None
    contexts: list[str] = field(default_factory=list)
    updated_output: str | None = None
    halt: str | None = None
    """`continue: false`: the agent stops, with this reason."""

    @property
    def reason(self) -> str:
        return "\n".join(r for r in self.reasons if r) or self.decision_reason


@dataclass
class HookRunner:
    """Runs the hooks of one agent. `base` is the stdin every hook gets (session, transcript, cwd, ...)."""

    hooks: Sequence[HookCommand]
    cwd: Path
    env: Mapping[str, str]
    base: Mapping[str, Any]
    emit: Callable[[Event], None]
    task_id: str = ""
    via: list[str] = field(default_factory=list)

    def matching(self, event: str, subject: str, accept: Callable[[HookCommand], bool]) -> list[HookCommand]:
        anything = event in UNMATCHED_EVENTS
        return [
            h
            for h in self.hooks
            if h.event == event and (anything or matcher_matches(h.matcher, subject)) and accept(h)
        ]

    async def fire(
        self,
        event: str,
        payload: Mapping[str, Any],
        *,
        subject: str = "",
        accept: Callable[[HookCommand], bool] = lambda _h: True,
    ) -> HookOutcome:
        chosen = self.matching(event, subject, accept)
        outcome = HookOutcome(ran=len(chosen))
        if not chosen:
            return outcome
        stdin = json.dumps({**self.base, "hook_event_name": event, **payload}).encode()
        results = await asyncio.gather(*(self._run(h, stdin) for h in chosen))
        for hook, result in zip(chosen, results, strict=True):
            self._read(event, hook, subject, result, outcome)
        return outcome

    async def _run(self, hook: HookCommand, stdin: bytes) -> PipedResult:
        changed = self._changed_script(hook)
        if changed is not None:
            # An agent can write in its checkout, and hooks run outside its sandbox: a script that is
            # not what was approved never runs, and what it guarded stays blocked.
            why = (
                f"{changed} is not the script that was approved (it changed in {self.cwd}); the hook did "
                "not run. Restore it (`git checkout -- " + changed + "`) to go on."
            )
            return PipedResult(exit_code=2, stdout="", stderr=why, timed_out=False, duration_s=0.0)
        return await run_piped(
            ["bash", "-c", hook.command], cwd=self.cwd, stdin=stdin, timeout_s=hook.timeout_s, env=self.env
        )

    def _changed_script(self, hook: HookCommand) -> str | None:
        for rel, digest in hook.scripts:
            if file_digest(self.cwd / rel) != digest:
                return rel
        return None

    def _read(self, event: str, hook: HookCommand, subject: str, res: PipedResult, out: HookOutcome) -> None:
        kind: HookOutcomeKind = "ok"
        message = ""
        if res.timed_out:
            kind, message = "timed_out", f"timed out after {hook.timeout_s:g} s"
        elif res.exit_code == 2:
            kind, message = "blocked", res.stderr.strip()
            out.blocked = True
            out.reasons.append(message)
        elif res.exit_code != 0:
            kind, message = "error", res.stderr.strip() or f"exit code {res.exit_code}"
        else:
            stdout = res.stdout.strip()
            data = _json(stdout)
            if data is not None:
                kind, message = _apply(event, data, out)
                if isinstance(data.get("systemMessage"), str):
                    self.emit(Notice(task_id=self.task_id, via=self.via, message=data["systemMessage"]))
            elif stdout and event in _PLAIN_CONTEXT:
                out.contexts.append(stdout)
        self.emit(
            HookRan(
                task_id=self.task_id,
                via=self.via,
                event=event,
                command=hook.command,
                source=str(hook.source),
                exit_code=res.exit_code,
                outcome=kind,
                message=message[:4000],
                duration_s=res.duration_s,
                subject=subject,
            )
        )


def _json(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _apply(event: str, data: dict[str, Any], out: HookOutcome) -> tuple[HookOutcomeKind, str]:
    """Fold one hook's JSON into the outcome; returns how it ended and what it said."""
    kind: HookOutcomeKind = "ok"
    message = ""
    if data.get("continue") is False:
        out.halt = str(data.get("stopReason") or f"a {event} hook stopped the agent")
        kind, message = "blocked", out.halt
    specific = data.get("hookSpecificOutput")
    specific = specific if isinstance(specific, dict) else {}
    if isinstance(specific.get("additionalContext"), str) and specific["additionalContext"].strip():
        out.contexts.append(specific["additionalContext"].strip())
    reason = str(data.get("reason") or "")
    decision = data.get("decision")
    if event == "PreToolUse":
        said = specific.get("permissionDecision") or _LEGACY.get(str(decision))
        why = str(specific.get("permissionDecisionReason") or reason)
        if said in _RANK and (out.decision is None or _RANK[said] > _RANK[out.decision]):
            out.decision, out.decision_reason = said, why
        if said == "deny":
            kind, message = "blocked", why
        if isinstance(specific.get("updatedInput"), dict) and said in (None, "allow"):
            out.updated_input = specific["updatedInput"]
        return kind, message
    if decision == "block":
        out.blocked = True
        out.reasons.append(reason)
        kind, message = "blocked", reason
    if event == "PostToolUse":
        replaced = specific.get("updatedToolOutput", specific.get("updatedMCPToolOutput"))
        if replaced is not None:
            out.updated_output = replaced if isinstance(replaced, str) else json.dumps(replaced)
    return kind, message
