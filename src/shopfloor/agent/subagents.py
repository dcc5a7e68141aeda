"""Delegation: the Agent/Task tool's service. Another agent runs in the same workspace with its own
tools, model and skills and a slice of the budget, and its final text goes back as the tool result.

Its events go into the task's transcript with its call id in `via`, so they show nested; its spend
is the task's spend. Delegation nests up to `[tools] agent_depth` below the task's agent; an agent
at that depth is not offered the tool at all (as in Claude Code).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.agent.budget import Budget
from shopfloor.agent.compose import Composition, compose
from shopfloor.agent.events import (
    Event,
    Notice,
    RunFinished,
    RunStarted,
    SubagentFinished,
    SubagentStarted,
    TodosChanged,
)
from shopfloor.agent.hook_runner import HookRunner
from shopfloor.agent.hooks import AgentHooks, NoHooks
from shopfloor.agent.loop import AgentLoop
from shopfloor.agent.prompts import AgentTask, StatusAhead
from shopfloor.agent.side_model import SideModel, close_model
from shopfloor.config.sections import LimitSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.models.base import CacheTTL, Model, ModelConfigError
from shopfloor.models.retry import BackoffRegistry
from shopfloor.specs.agent_catalog import AgentCatalog
from shopfloor.specs.agents import AgentSpec
from shopfloor.specs.claude_settings import ClaudeSettings
from shopfloor.specs.skills import SkillCatalog
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.context import Delegation, ToolContext
from shopfloor.tools.errors import ToolError
from shopfloor.tools.mcp_client import McpPool
from shopfloor.tools.registry import make_context
from shopfloor.tools.sandbox import refusal, sandbox_support
from shopfloor.tools.todo_list import TodoItem
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.web_page import PageCache

SUBAGENT_MODEL_ENV = "CLAUDE_CODE_SUBAGENT_MODEL"
"""Claude Code's override of every sub-agent's model; honoured the same way."""


@dataclass
class TaskServices:
    """What every agent working on one task shares: the catalogs, the settings, the transcript."""

    workdir: Path
    task_id: str
    config: AgentConfig
    agents: AgentCatalog
    skills: SkillCatalog
    emit: Callable[[Event], None]
    guards: Sequence[Callable[[], str | None]] = ()
    backoffs: BackoffRegistry | None = None
    writable: tuple[Path, ...] | None = None
    """What the agents may change; None: the working directory (less git metadata and configuration)."""
    overlay: EnvOverlay | None = None
    """The worktree's project environment (set up before the task's agent started) for their shells."""
    pages: PageCache = field(default_factory=PageCache)
    claude: ClaudeSettings | None = None
    """Claude Code's settings: permission rules and hooks."""
    mcp: McpPool | None = None
    """The run's MCP servers."""
    hook_env: Mapping[str, str] = field(default_factory=dict)
    session_id: str = ""
    transcript: Path | None = None
    status: StatusAhead | None = None
    """The working directory's git status, being read for the task's own agent's prompt."""
    _calls: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def compose(self, spec: AgentSpec, depth: int, shared_ttl: CacheTTL = "5m") -> Composition:
        return compose(
            spec,
            self.workdir,
            skills=self.skills,
            agents=self.agents,
            settings=self.config.tools,
            depth=depth,
            shared_ttl=shared_ttl,
            permissions=self.claude.rules if self.claude is not None else (),
            mcp_tools=self.mcp.tools(spec.name) if self.mcp is not None else (),
            installed=self.overlay is not None,
            status=self.status.result() if self.status is not None and depth == 0 else None,
        )

    def hooks_for(self, spec: AgentSpec, *, main: bool, via: list[str], agent_id: str) -> AgentHooks | None:
        """The hooks one agent runs with: the settings' and its own file's; None when there are none
        (or `disableAllHooks` is set). Each knows the scripts it was approved with."""
        claude = self.claude
        if claude is None or claude.hooks_disabled:
            return None
        hooks = [h.with_scripts(claude.project) for h in [*claude.hooks, *spec.hooks]]
        if not hooks:
            return None
        base = {
            "session_id": self.session_id,
            "transcript_path": str(self.transcript or ""),
            "cwd": str(self.workdir),
            "permission_mode": "default",
        }
        if not main:
            base |= {"agent_id": agent_id, "agent_type": spec.name}
        runner = HookRunner(hooks, self.workdir, self.hook_env, base, self.emit, self.task_id, via)
        return AgentHooks(runner, spec.name, agent_id, self.workdir, main, self.transcript)

    def context(
        self,
        comp: Composition,
        *,
        model: Model,
        budget: Budget,
        depth: int,
        via: list[str],
        hooks: AgentHooks | None = None,
    ) -> ToolContext:
        """The tool context of one agent, with the side model, the task list and delegation wired in."""
        ctx = make_context(
            self.workdir,
            skills=self.skills,
            extra_dirs=tuple(d for d in self.skills.bundle_dirs() if not d.is_relative_to(self.workdir)),
            sandbox=self.config.sandbox,
            writable=self.writable,
            overlay=self.overlay,
            settings=self.config.tools,
            policy=comp.policy,
        )
        ctx.pages = self.pages
        ctx.hooks = hooks
        ctx.side_model = SideModel(
            agent_model=model,
            budget=budget,
            emit=self.emit,
            task_id=self.task_id,
            tools=self.config.tools,
            models=self.config.models,
            backoffs=self.backoffs,
            root=self.workdir,
            via=via,
        )

        def on_todos(todos: list[TodoItem]) -> None:
            self.emit(TodosChanged(task_id=self.task_id, via=via, todos=todos))

        ctx.on_todos = on_todos
        if depth < self.config.tools.agent_depth:
            ctx.delegate = SubagentRunner(self, model=model, budget=budget, depth=depth, via=via)
        return ctx

    def next_call(self) -> str:
        return f"sub-{next(self._calls)}"


def sandbox_refusal(toolset: Toolset, config: AgentConfig) -> str | None:
    """Why an agent with these tools must not start: it has Bash, the sandbox is asked for, and it does
    not work here (None when it may start)."""
    if "Bash" not in toolset.names or not config.sandbox.enabled:
        return None
    support = sandbox_support()
    return None if support.available else refusal(support.reason)


@dataclass
class SubagentRunner:
    """Runs one delegated agent per call, on behalf of the agent at `depth` (0 = the task's agent)."""

    services: TaskServices
    model: Model
    """The delegating agent's model: what `inherit` (or no `model:`) means."""
    budget: Budget
    depth: int
    via: list[str]

    async def __call__(self, job: Delegation) -> str:
        s = self.services
        spec = s.agents.get(job.agent)
        if spec is None:
            raise ToolError(f"Error: {s.agents.missing_message(job.agent, 'agent type')}")
        if spec.extra.get("command"):
            raise ToolError(f"Error: {spec.name} is an external program (`command:`), not a delegable agent.")
        comp = s.compose(spec, self.depth + 1)
        if comp.cannot_start:
            raise ToolError(f"Error: {spec.name} cannot start: {comp.cannot_start}.")
        if (refused := sandbox_refusal(comp.toolset, s.config)) is not None:
            raise ToolError(f"Error: {spec.name} has Bash, and {refused}")
        limits = self._slice(spec)
        model = self._model_for(job, spec)
        call = s.next_call()
        via = [*self.via, call]
        budget = Budget(limits)
        hooks = s.hooks_for(spec, main=False, via=via, agent_id=call)
        ctx = s.context(comp, model=model, budget=budget, depth=self.depth + 1, via=via, hooks=hooks)
        loop = AgentLoop(
            model=model,
            toolset=comp.toolset,
            ctx=ctx,
            task=AgentTask(task_id=s.task_id, objective=job.description, workdir=s.workdir),
            system=comp.system,
            budget=budget,
            agent_name=spec.name,
            emit=self._nested(via),
            guards=s.guards,
            hooks=hooks or NoHooks(),
            opening=job.prompt,
            ends_at_reply=True,
        )
        s.emit(
            SubagentStarted(
                task_id=s.task_id,
                via=self.via,
                call=call,
                agent=spec.name,
                model=model.profile.model_id,
                description=job.description,
                prompt=job.prompt,
                depth=self.depth + 1,
            )
        )
        for warning in comp.warnings:
            s.emit(Notice(task_id=s.task_id, via=via, message=f"{spec.name}: {warning}"))
        t0 = time.monotonic()
        try:
            result = await loop.run()
        finally:
            await ctx.shell.aclose()
            if isinstance(ctx.side_model, SideModel):
                await ctx.side_model.aclose()
            if model is not self.model:
                await close_model(model)
        self.budget.absorb(result.usage, result.cost_usd)
        s.emit(
            SubagentFinished(
                task_id=s.task_id,
                via=self.via,
                call=call,
                agent=spec.name,
                outcome=result.outcome,
                reason=result.reason,
                turns=result.turns,
                usage=result.usage,
                cost_usd=result.cost_usd,
                duration_s=time.monotonic() - t0,
                text=result.final_text,
            )
        )
        if result.outcome != "completed":
            said = f" Its last message: {result.final_text}" if result.final_text else ""
            raise ToolError(f"Error: agent {spec.name} stopped before finishing: {result.reason}.{said}")
        return result.final_text or f"(Agent {spec.name} finished without a final message.)"

    def _nested(self, via: list[str]) -> Callable[[Event], None]:
        """The sub-agent's events, marked with its call; its start and end are reported by us."""
        emit = self.services.emit

        def nested(event: Event) -> None:
            if not isinstance(event, RunStarted | RunFinished):
                emit(event.model_copy(update={"via": via}))

        return nested

    def _slice(self, spec: AgentSpec) -> LimitSettings:
        """Its limits: its own `maxTurns`, and a share of what the delegating agent has left."""
        parent = self.budget
        stop = parent.exceeded()
        if stop:
            raise ToolError(f"Error: no budget is left to start another agent: {stop}.")
        lim = parent.limits
        share = self.services.config.tools.agent_share
        update: dict[str, object] = {"max_turns": spec.max_turns or lim.max_turns}
        if lim.max_tokens is not None:
            update["max_tokens"] = max(1, int((lim.max_tokens - parent.usage.total_tokens) * share))
        if lim.budget_usd is not None:
            update["budget_usd"] = max(1e-6, (lim.budget_usd - parent.cost_usd) * share)
        if lim.max_wall_s is not None:
            update["max_wall_s"] = max(1.0, lim.max_wall_s - parent.elapsed_s)
        return lim.model_copy(update=update)

    def _model_for(self, job: Delegation, spec: AgentSpec) -> Model:
        """Claude Code's order: the override variable, the call's `model`, the file's, then inherit."""
        if self.model.profile.provider == "scripted":
            return self.model  # a scripted run stays scripted all the way down
        wanted = os.environ.get(SUBAGENT_MODEL_ENV) or job.model or spec.model
        if not wanted or wanted.strip().lower() == "inherit":
            return self.model
        from shopfloor.models.resolve import resolve_model

        s = self.services
        try:
            return resolve_model(
                wanted, agent_model=None, settings=s.config.models, backoffs=s.backoffs, base_dir=s.workdir
            )
        except ModelConfigError as err:
            raise ToolError(f"Error: cannot start {spec.name} on model {wanted!r}: {err}") from None
