"""The agent loop: ask the model, run the tools it calls, repeat until the task's marker says done."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from shopfloor.agent.budget import Budget
from shopfloor.agent.elision import elide_old_results, prefix_tokens
from shopfloor.agent.events import (
    Event,
    ModelCalled,
    ModelReplied,
    Notice,
    OutcomeKind,
    RunFinished,
    RunStarted,
    ToolAnswered,
    ToolCalled,
    UserMessage,
)
from shopfloor.agent.hooks import NoHooks, SessionHooks
from shopfloor.agent.outcomes import (
    AgentResult,
    BudgetExceeded,
    Completed,
    Continue,
    Failed,
    FailureCause,
    Incomplete,
    Step,
)
from shopfloor.agent.prompts import AgentTask, marker_reminder, task_prompt
from shopfloor.models.base import (
    Message,
    Model,
    ModelError,
    ModelRequest,
    Part,
    SystemPrompt,
    TextPart,
    ToolResultPart,
    ToolUsePart,
)
from shopfloor.tools.base import ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.redact import redact
from shopfloor.tools.toolset import Toolset

MAX_REMINDERS = 2


@dataclass
class AgentLoop:
    """One agent on one task. `run()` works until an outcome; `send()` continues the same conversation."""

    model: Model
    toolset: Toolset
    ctx: ToolContext
    task: AgentTask
    system: SystemPrompt
    budget: Budget
    agent_name: str = "agent"
    emit: Callable[[Event], None] = lambda _e: None
    guards: Sequence[Callable[[], str | None]] = ()
    """Extra stop checks run before each model call (for example the run-wide budget)."""
    hooks: SessionHooks = field(default_factory=NoHooks)
    """Claude Code's hooks on prompts and on the agent's end (tool hooks run in the toolset)."""
    opening: str | None = None
    """The first user message when it is not the task prompt (a delegated agent's brief)."""
    ends_at_reply: bool = False
    """A reply without tool calls completes the run (a delegated agent writes no marker)."""
    messages: list[Message] = field(default_factory=list)
    _reminders: int = 0
    _started: bool = False

    async def run(self) -> AgentResult:
        if self._started:
            return await self._drive(Continue())
        self._started = True
        self.emit(self._started_event())
        return await self._drive(await self._submit(self._opening(), first=True))

    async def send(self, text: str) -> AgentResult:
        """Give the agent another message (a gate report, a merge conflict) and run again."""
        self._reminders = 0
        return await self._drive(await self._submit(text, first=False))

    def _opening(self) -> str:
        return self.opening if self.opening is not None else task_prompt(self.task)

    async def _submit(self, text: str, *, first: bool) -> Step:
        """A prompt, as the hooks let it through (with what they add), or the run's end when refused."""
        verdict = await self.hooks.prompt(text, first=first)
        if verdict.blocked is not None:
            return Failed(f"a UserPromptSubmit hook refused the prompt: {verdict.blocked}")
        self._say("\n\n".join([text, *verdict.context]))
        return Continue()

    async def _drive(self, first: Step) -> AgentResult:
        t0 = time.monotonic()
        step: Step = Failed("interrupted", "interrupted")
        try:
            step = first
            while isinstance(step, Continue):
                step = await self._turn()
        finally:
            result = self._result(step, time.monotonic() - t0)
            self.emit(
                RunFinished(
                    task_id=self.task.task_id,
                    outcome=result.outcome,
                    reason=result.reason,
                    turns=result.turns,
                    usage=result.usage,
                    cost_usd=result.cost_usd,
                    duration_s=result.duration_s,
                )
            )
        return result

    async def _turn(self) -> Step:
        stop = self.budget.exceeded() or next((r for g in self.guards if (r := g()) is not None), None)
        if stop:
            return BudgetExceeded(stop)
        if self.hooks.halted is not None:
            return Incomplete(f"a hook stopped the agent: {self.hooks.halted}")
        tools = self.toolset.specs()
        window = self.model.profile.context_window - self.model.profile.max_output_tokens
        if elide_old_results(self.messages, budget_tokens=window - prefix_tokens(self.system.text, tools)):
            self._notice("older tool output was elided to stay within the context window")
        turn = self.budget.turns + 1
        request = ModelRequest(
            system=self.system,
            messages=self.messages,
            tools=tools,
            max_tokens=self.model.profile.max_output_tokens,
        )
        self.emit(
            ModelCalled(
                task_id=self.task.task_id,
                turn=turn,
                messages=len(self.messages),
                request_chars=len(self.system.text) + sum(len(m.model_dump_json()) for m in self.messages),
            )
        )
        t0 = time.monotonic()
        try:
            response = await self.model.complete(request)
        except ModelError as err:
            return Failed(f"model error: {err}", "model_error")
        cost = self.model.profile.cost(response.usage)
        self.budget.add(response.usage, cost)
        message = response.message
        self.messages.append(message)
        self.emit(
            ModelReplied(
                task_id=self.task.task_id,
                turn=turn,
                text=message.text,
                tool_calls=len(message.tool_uses),
                stop_reason=response.stop_reason,
                usage=response.usage,
                cost_usd=cost,
                duration_s=time.monotonic() - t0,
                cache_saved_usd=self.model.profile.cache_saving(response.usage),
            )
        )
        if message.tool_uses:
            answers: list[Part] = list(await self._run_tools(turn, message.tool_uses))
            self.messages.append(Message(role="user", parts=answers))
            return Continue()
        if response.stop_reason == "max_tokens":
            self._say("Your reply was cut at the output limit. Continue where you stopped.")
            return Continue()
        return await self._end_of_turn(message.text)

    async def _end_of_turn(self, last: str) -> Step:
        more = await self.hooks.stop(last)
        if more is not None:
            self._say(more)
            return Continue()
        if self.ends_at_reply or self.task.marker_path.exists():
            return Completed()
        if self.task.failed_marker_path.exists():
            reason = self.task.failed_marker_path.read_text(encoding="utf-8", errors="replace").strip()
            return Failed(f"the agent gave up: {reason or 'no reason given'}", "gave_up")
        if self._reminders >= MAX_REMINDERS:
            return Incomplete(
                f"ended without writing {self.task.marker_path} after {MAX_REMINDERS} reminders"
            )
        self._reminders += 1
        self._say(marker_reminder(self.task, self._reminders))
        return Continue()

    async def _run_tools(self, turn: int, calls: list[ToolUsePart]) -> list[ToolResultPart]:
        """Answer every call of a turn in order; runs of read-only calls go concurrently."""
        results: dict[str, ToolResultPart] = {}
        batch: list[ToolUsePart] = []

        async def flush() -> None:
            async with anyio.create_task_group() as tg:
                for call in batch:
                    tg.start_soon(self._run_one, turn, call, results)
            batch.clear()

        for call in calls:
            if self.toolset.is_read_only(call.name):
                batch.append(call)
                continue
            await flush()
            await self._run_one(turn, call, results)
        await flush()
        return [results[c.id] for c in calls]

    async def _run_one(self, turn: int, call: ToolUsePart, out: dict[str, ToolResultPart]) -> None:
        self.emit(
            ToolCalled(
                task_id=self.task.task_id,
                turn=turn,
                call_id=call.id,
                name=call.name,
                input=call.input,
                raw_input=call.raw_input,
            )
        )
        t0 = time.monotonic()
        if call.input_error:
            result = ToolResult(call.input_error, True)
        else:
            result = await self.toolset.call(call.name, call.input, self.ctx, call.id)
        out[call.id] = ToolResultPart(tool_use_id=call.id, content=result.content, is_error=result.is_error)
        self.emit(
            ToolAnswered(
                task_id=self.task.task_id,
                turn=turn,
                call_id=call.id,
                name=call.name,
                content=result.content,
                is_error=result.is_error,
                duration_s=time.monotonic() - t0,
            )
        )

    def _say(self, text: str) -> None:
        text = redact(text)  # gate output and conflict details go to the provider: no secrets in them
        self.messages.append(_user(text))
        self.emit(UserMessage(task_id=self.task.task_id, text=text))

    def _notice(self, message: str) -> None:
        self.emit(Notice(task_id=self.task.task_id, message=message))

    def _started_event(self) -> RunStarted:
        profile = self.model.profile
        return RunStarted(
            task_id=self.task.task_id,
            agent=self.agent_name,
            model=profile.model_id,
            provider=profile.provider,
            workdir=str(self.task.workdir),
            system_chars=len(self.system.text),
            tools=self.toolset.names,
            notices=list(self.ctx.notices),
        )

    def _result(self, step: Step, duration_s: float) -> AgentResult:
        match step:
            case Completed():
                outcome: OutcomeKind = "completed"
                reason = ""
                cause: FailureCause | None = None
            case Incomplete(reason=reason):
                outcome, cause = "incomplete", None
            case BudgetExceeded(reason=reason):
                outcome, cause = "budget_exceeded", None
            case Failed(reason=reason, cause=failed_cause):
                outcome, cause = "failed", failed_cause
            case Continue():
                outcome, reason, cause = "failed", "interrupted", "interrupted"
        return AgentResult(
            task_id=self.task.task_id,
            outcome=outcome,
            reason=reason,
            turns=self.budget.turns,
            usage=self.budget.usage,
            cost_usd=self.budget.cost_usd if self.budget.cost_known else None,
            duration_s=duration_s,
            cache_saved_usd=self.model.profile.cache_saving(self.budget.usage),
            cause=cause,
            final_text=_last_words(self.messages),
        )


def _last_words(messages: list[Message]) -> str:
    return next((m.text for m in reversed(messages) if m.role == "assistant" and m.text), "")


def _user(text: str) -> Message:
    return Message(role="user", parts=[TextPart(text=text)])
