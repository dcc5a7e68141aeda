"""Claude Code's hooks around one agent: the loop's collaborator for prompts and stops, and the
toolset's for tool calls. The loop asks three questions and knows nothing of hooks beyond them.

Every shopfloor agent plays a Claude Code subagent, so its end fires `SubagentStop` (matched against
its name), which is where a project checks its completion marker. The task's own agent also stands
for the session: it fires `SessionStart` and `UserPromptSubmit` for its prompts, `Stop` after
`SubagentStop` passed, and `SessionEnd` when it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shopfloor.agent.events import Notice
from shopfloor.agent.hook_runner import HookOutcome, HookRunner
from shopfloor.specs.hook_config import HookCommand
from shopfloor.specs.tool_rules import RuleSyntaxError, parse_rule, rule_matches
from shopfloor.tools.context import PreToolVerdict
from shopfloor.tools.globs import path_glob_match
from shopfloor.tools.policy import ask_refusal

MAX_STOP_BLOCKS = 8
"""Claude Code ends an agent anyway after this many stop hooks in a row asked it to go on."""


@dataclass(frozen=True)
class PromptVerdict:
    blocked: str | None = None
    """Why a UserPromptSubmit hook refused the prompt (the agent never sees it)."""
    context: tuple[str, ...] = ()
    """Text the hooks add for the model (SessionStart and UserPromptSubmit output)."""


class SessionHooks(Protocol):
    """What the loop asks of the hooks."""

    @property
    def halted(self) -> str | None:
        """Set when a hook answered `continue: false`: the agent stops, with this reason."""
        ...

    async def prompt(self, text: str, *, first: bool) -> PromptVerdict: ...

    async def stop(self, last_message: str) -> str | None:
        """A reason to keep working, when a stop hook blocks the agent's end; else None."""
        ...


class NoHooks:
    halted: str | None = None

    async def prompt(self, text: str, *, first: bool) -> PromptVerdict:
        return PromptVerdict()

    async def stop(self, last_message: str) -> str | None:
        return None


@dataclass
class AgentHooks:
    """The hooks of one agent (the settings' and its own file's), bound to its name and transcript."""

    runner: HookRunner
    agent: str
    agent_id: str
    root: Path
    main: bool
    """The task's own agent, which also stands for the session."""
    transcript: Path | None = None
    halted: str | None = None
    _blocks: int = 0
    _ended: bool = False

    @property
    def active(self) -> bool:
        return bool(self.runner.hooks)

    async def prompt(self, text: str, *, first: bool) -> PromptVerdict:
        if not self.main:
            return PromptVerdict()
        contexts: list[str] = []
        if first:
            started = await self.runner.fire(
                "SessionStart", {"source": "startup", "agent_type": self.agent}, subject="startup"
            )
            contexts += started.contexts
            self._halt(started)
        said = await self.runner.fire("UserPromptSubmit", {"prompt": text})
        self._halt(said)
        if said.blocked:
            return PromptVerdict(blocked=said.reason or "a UserPromptSubmit hook blocked the prompt")
        return PromptVerdict(context=tuple(contexts + said.contexts))

    async def stop(self, last_message: str) -> str | None:
        if self._blocks >= MAX_STOP_BLOCKS:
            self._notice(f"stop hooks blocked {MAX_STOP_BLOCKS} times in a row; the agent ends anyway")
            self._blocks = 0
            return None
        payload = {
            "stop_hook_active": self._blocks > 0,
            "last_assistant_message": last_message,
            "agent_id": self.agent_id,
            "agent_type": self.agent,
            "agent_transcript_path": str(self.transcript or ""),
        }
        outcome = await self.runner.fire("SubagentStop", payload, subject=self.agent)
        if not outcome.blocked and self.main:
            outcome = await self.runner.fire("Stop", payload)
        self._halt(outcome)
        if not outcome.blocked:
            self._blocks = 0
            return None
        self._blocks += 1
        return outcome.reason or "A stop hook asked you to keep working before you finish."

    async def end(self, reason: str = "other") -> None:
        """SessionEnd, once, when the task's agent is closed; it cannot block."""
        if self.main and not self._ended:
            self._ended = True
            await self.runner.fire("SessionEnd", {"reason": reason}, subject=reason)

    async def before_tool(self, name: str, args: dict[str, Any], call_id: str) -> PreToolVerdict:
        payload = {"tool_name": name, "tool_input": args, "tool_use_id": call_id}
        outcome = await self.runner.fire(
            "PreToolUse", payload, subject=name, accept=lambda h: self._applies(h, name, args)
        )
        self._halt(outcome)
        if self.halted is not None:
            return PreToolVerdict(refusal=f"Error: a PreToolUse hook stopped the agent: {self.halted}")
        if outcome.blocked:
            return PreToolVerdict(refusal=f"Error: a PreToolUse hook blocked this call: {outcome.reason}")
        if outcome.decision == "deny":
            why = outcome.decision_reason or "no reason given"
            return PreToolVerdict(refusal=f"Error: a PreToolUse hook denied this call: {why}")
        if outcome.decision in ("ask", "defer"):
            why = f"a PreToolUse hook answered `{outcome.decision}`"
            if outcome.decision_reason:
                why += f": {outcome.decision_reason}"
            return PreToolVerdict(refusal=ask_refusal(name, why))
        context = "\n".join(outcome.contexts) or None
        return PreToolVerdict(updated_input=outcome.updated_input, context=context)

    async def after_tool(self, name: str, args: dict[str, Any], call_id: str, output: str) -> str:
        payload = {
            "tool_name": name,
            "tool_input": args,
            "tool_response": output,
            "tool_use_id": call_id,
        }
        outcome = await self.runner.fire(
            "PostToolUse", payload, subject=name, accept=lambda h: self._applies(h, name, args)
        )
        self._halt(outcome)
        content = outcome.updated_output if outcome.updated_output is not None else output
        extra = [*([outcome.reason] if outcome.blocked else []), *outcome.contexts]
        return "\n\n".join([content, *extra])

    def _applies(self, hook: HookCommand, tool: str, args: dict[str, Any]) -> bool:
        """Claude Code's `if`: the call must also match a permission rule."""
        if hook.condition is None:
            return True
        try:
            rule = parse_rule(hook.condition)
        except RuleSyntaxError:
            return False
        return rule_matches(rule, tool, args, root=self.root, glob_match=path_glob_match)

    def _halt(self, outcome: HookOutcome) -> None:
        if outcome.halt is not None and self.halted is None:
            self.halted = outcome.halt

    def _notice(self, message: str) -> None:
        self.runner.emit(Notice(task_id=self.runner.task_id, via=self.runner.via, message=message))
