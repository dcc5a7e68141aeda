"""Agents driven by another program: shopfloor starts its command, then waits for the marker.

An agent file with a `command:` field (for example a CLI coding agent run non-interactively) is not run
by shopfloor's loop. The command gets the task prompt in a file and in the environment, works in the
task's directory, and signals completion the same way every agent does: the marker file. shopfloor waits
on file system events for it, with a deadline, and treats the command's exit without a marker as
"ended without finishing".
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

from shopfloor.agent.events import Event, Notice, OutcomeKind, RunFinished, RunStarted, UserMessage
from shopfloor.agent.markers import wait_for_marker
from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.prompts import AgentTask, task_prompt
from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.tools.process import StreamOutput, child_env, start_process

# After the command exits, a marker written just before the exit may still be on its way through the
# file system's event queue.
EXIT_GRACE_S = 1.0
OUTPUT_TAIL = 4000


@dataclass
class ExternalSession:
    """Runs `command` (a shell line) for one task; `run()` and `send()` mirror AgentLoop's."""

    name: str
    command: str
    task: AgentTask
    deadline_s: float
    emit: Callable[[Event], None] = lambda _e: None
    sessions: int = 0
    _history: list[str] = field(default_factory=list)

    async def run(self) -> AgentResult:
        return await self._drive(task_prompt(self.task))

    async def send(self, text: str) -> AgentResult:
        """A follow-up (gate report, merge conflict): the command runs again with it after the task."""
        return await self._drive(task_prompt(self.task) + "\n\n" + text)

    async def _drive(self, prompt: str) -> AgentResult:
        t0 = time.monotonic()
        self.sessions += 1
        tid = self.task.task_id
        prompt_file = Layout(self.task.workdir).external_prompt(tid, self.sessions)
        prompt_file.parent.mkdir(parents=True, exist_ok=True)
        prompt_file.write_text(prompt, encoding="utf-8")
        self.emit(RunStarted(task_id=tid, agent=self.name, model="external", provider="external",
                             workdir=str(self.task.workdir), system_chars=0, tools=[]))  # fmt: skip
        self.emit(UserMessage(task_id=tid, text=prompt))
        env = child_env(
            extra={
                "SHOPFLOOR_TASK_ID": tid,
                "SHOPFLOOR_WORKDIR": str(self.task.workdir),
                "SHOPFLOOR_PROMPT_FILE": str(prompt_file),
                "SHOPFLOOR_PROMPT": prompt,
                "SHOPFLOOR_MARKER": str(self.task.marker_path),
            }
        )
        # The external program brings its own credentials; pass through the ones it may need.
        env.update({k: v for k, v in os.environ.items() if k.endswith("_API_KEY") or k.endswith("_BASE_URL")})
        output = StreamOutput()
        proc = await start_process(
            ["bash", "-c", self.command], cwd=self.task.workdir, sink=output.feed, env=env
        )
        deadline = time.monotonic() + self.deadline_s
        outcome, reason = await self._wait(proc.wait, deadline)
        await proc.close(grace_s=0.5)
        tail = output.take()[-OUTPUT_TAIL:]
        if tail.strip():
            self.emit(Notice(task_id=tid, message=f"{self.name} output (tail):\n{tail}"))
        result = AgentResult(task_id=tid, outcome=outcome, reason=reason, turns=1, usage=Usage(),
                             cost_usd=None, duration_s=time.monotonic() - t0,
                             cause="gave_up" if outcome == "failed" else None)  # fmt: skip
        self.emit(RunFinished(task_id=tid, outcome=outcome, reason=reason, turns=1, usage=Usage(),
                              cost_usd=None, duration_s=result.duration_s))  # fmt: skip
        return result

    async def _wait(self, exited: Callable[[], Awaitable[bool]], deadline: float) -> tuple[OutcomeKind, str]:
        """Marker, exit or deadline: whichever comes first decides."""
        tid = self.task.task_id
        verdict: list[tuple[OutcomeKind, str]] = []
        async with anyio.create_task_group() as tg:

            async def marker() -> None:
                got = await wait_for_marker(self.task.workdir, tid, deadline)
                if got.outcome == "done":
                    verdict.append(("completed", ""))
                elif got.outcome == "failed":
                    text = got.marker.text.strip() if got.marker else ""
                    verdict.append(("failed", f"the agent gave up: {text or 'no reason given'}"))
                else:
                    verdict.append(
                        ("incomplete", f"no marker within the task deadline ({self.deadline_s:g}s)")
                    )
                tg.cancel_scope.cancel()

            async def process() -> None:
                await exited()
                await anyio.sleep(EXIT_GRACE_S)
                verdict.append(("incomplete", f"{self.name} exited without writing {self.task.marker_path}"))
                tg.cancel_scope.cancel()

            tg.start_soon(marker)
            tg.start_soon(process)
        return verdict[0]
