"""Running one agent on one task: find the agent and its skills, pick the model, build tools, run the loop."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shopfloor.agent.budget import Budget
from shopfloor.agent.events import Event, Notice, Transcript
from shopfloor.agent.hooks import AgentHooks, NoHooks
from shopfloor.agent.loop import AgentLoop
from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.prompts import AgentTask, StatusAhead
from shopfloor.agent.side_model import SideModel
from shopfloor.agent.subagents import TaskServices, sandbox_refusal
from shopfloor.config.sections import ModelSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.layout import Layout
from shopfloor.models.base import CacheTTL, Model
from shopfloor.models.retry import BackoffRegistry
from shopfloor.specs.agent_catalog import AgentCatalog
from shopfloor.specs.claude_settings import ClaudeSettings, load_claude_settings
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.mcp_client import McpPool
from shopfloor.tools.process import child_env
from shopfloor.tools.redact import redact_model
from shopfloor.tools.registry import agent_toolset


class AgentSetupError(Exception):
    """The agent, its model or its configuration cannot be used; the message says why (exit code 2)."""


@dataclass
class AgentRun:
    """Everything needed to run one agent on one task."""

    agent: str
    task: AgentTask
    settings: AgentConfig = field(default_factory=AgentConfig)
    model_spec: str | None = None
    """`--model` from the command line or the router; None uses the agent file's `model:`."""
    max_turns: int | None = None
    """An explicit turn limit (a flag); beats the agent file's `maxTurns`, which beats the settings."""
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3))
    transcript_root: Path | None = None
    """Where `runs/` transcripts go; defaults to the task's working directory."""
    guards: Sequence[Callable[[], str | None]] = ()
    on_event: Callable[[Event], None] | None = None
    model: Model | None = None
    """A ready model; built from the spec when None."""
    backoffs: BackoffRegistry | None = None
    """Shared provider backoff: one per orchestrated run, so every agent slows down together."""
    priced_as: str | None = None
    """For a scripted model with no price of its own: the model whose list price to report."""
    catalog_root: Path | None = None
    """Where agent and skill files are found; defaults to the working directory. An orchestrated run
    names the project, so files an agent writes in its worktree never configure a later session."""
    writable: tuple[Path, ...] | None = None
    """What the agent may change; None: its working directory (less git metadata and configuration)."""
    env: EnvOverlay | None = None
    """The task worktree's project environment, for the agent's shell (PATH, variables)."""
    cache_ttl: CacheTTL = "5m"
    """How long the provider keeps the agent's shared prompt prefix; "1h" when more tasks of this agent
    follow in the run, so a later task still finds it after a gate or a merge in between."""
    mcp: McpPool | None = None
    """The run's MCP servers, started by whoever runs the agents (`open_mcp`)."""
    approved: str | None = None
    """The digest of the hooks and MCP servers approved where the run started (a Ray worker's clone is
    elsewhere): the same set counts as approved here."""


class Session(Protocol):
    """What drives an agent: shopfloor's own loop, or an external program (`command:` in its file)."""

    task: AgentTask

    async def run(self) -> AgentResult: ...

    async def send(self, text: str) -> AgentResult: ...


@dataclass
class PreparedAgent:
    """A ready agent. `prepare` only reads files and builds objects, so it may run in a worker thread;
    `announce` then reports its warnings from the event loop's thread."""

    loop: Session
    transcript: Transcript
    warnings: list[str]
    emit: Callable[[Event], None] = lambda _e: None
    hooks: AgentHooks | None = None

    def announce(self) -> None:
        task_id = self.loop.task.task_id
        for warning in self.warnings:
            self.emit(Notice(task_id=task_id, message=warning))

    async def aclose(self) -> None:
        if self.hooks is not None:
            await self.hooks.end()
        if isinstance(self.loop, AgentLoop):
            await self.loop.ctx.shell.aclose()
            if isinstance(self.loop.ctx.side_model, SideModel):
                await self.loop.ctx.side_model.aclose()
        self.transcript.close()


def prepare(run: AgentRun) -> PreparedAgent:
    """Resolve the agent file, skills, model and tools; raises AgentSetupError for anything unusable."""
    from shopfloor.models.resolve import ModelSpecError, resolve_model
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.skills import discover_skills

    workdir = run.task.workdir
    catalog = run.catalog_root or workdir
    status = StatusAhead(workdir)  # for the prompt's environment block, read while the files below are
    agents = discover_agents(catalog)
    spec = agents.get(run.agent)
    if spec is None:
        problems = [f"{p.path}:{p.line}: {p.message}" for p in agents.problems if p.severity == "error"]
        known = ", ".join(sorted(a.name for a in agents.all())) or "none"
        detail = ("\nProblems found:\n  " + "\n  ".join(problems)) if problems else ""
        raise AgentSetupError(f"no agent named {run.agent!r} (known agents: {known}){detail}")
    command = spec.extra.get("command")
    if isinstance(command, str) and command.strip():
        return _prepare_external(run, spec.name, command)
    if spec.cannot_start:
        raise AgentSetupError(f"agent {spec.name} ({spec.source}) cannot start: {spec.cannot_start}")
    claude = approved_settings(catalog, agents, run.approved)
    skills = discover_skills(catalog)
    try:
        model = run.model or resolve_model(
            run.model_spec,
            agent_model=spec.model,
            settings=run.settings.models,
            backoffs=run.backoffs,
            base_dir=workdir,
        )
    except ModelSpecError as err:
        raise AgentSetupError(str(err)) from err
    _price_scripted(model, run.priced_as or spec.model, run.settings.models)

    limits = run.settings.limits
    turns = run.max_turns or spec.max_turns
    if turns is not None:
        limits = limits.model_copy(update={"max_turns": turns})
    tools = agent_toolset(spec.tools, spec.disallowed_tools, has_skills=False)
    if (refused := sandbox_refusal(tools, run.settings)) is not None:  # before anything is written
        raise AgentSetupError(f"{spec.name} has Bash, and {refused}")
    transcript, emit = _recorder(run)
    services = TaskServices(
        workdir,
        run.task.task_id,
        run.settings,
        agents,
        skills,
        emit,
        run.guards,
        run.backoffs,
        writable=run.writable,
        overlay=run.env,
    )
    services.claude, services.mcp = claude, run.mcp
    services.hook_env = hook_environment(workdir, run.task.task_id)
    services.session_id, services.transcript = run.run_id, transcript.path
    services.status = status
    # The system prompt's parts (shared prefix, then the task's own), the tools and their rules.
    composed = services.compose(spec, depth=0, shared_ttl=run.cache_ttl)
    if composed.cannot_start:
        transcript.close()
        raise AgentSetupError(f"agent {spec.name} ({spec.source}) cannot start: {composed.cannot_start}")
    if run.mcp is not None:
        composed.warnings += run.mcp.failures()
    hooks = services.hooks_for(spec, main=True, via=[], agent_id=run.task.task_id)
    budget = Budget(limits)
    loop = AgentLoop(
        model=model,
        toolset=composed.toolset,
        ctx=services.context(composed, model=model, budget=budget, depth=0, via=[], hooks=hooks),
        task=run.task,
        system=composed.system,
        budget=budget,
        agent_name=spec.name,
        emit=emit,
        guards=run.guards,
        hooks=hooks or NoHooks(),
    )
    return PreparedAgent(loop, transcript, composed.warnings, emit, hooks)


def approved_settings(root: Path, agents: AgentCatalog, carried: str | None = None) -> ClaudeSettings:
    """Claude Code's settings for `root`; AgentSetupError when its hooks or MCP servers await approval
    (`carried`: the digest of the set approved where the run started)."""
    from shopfloor.specs.approvals import approval_state, unapproved_message

    claude = load_claude_settings(root)
    state = approval_state(claude, agents, carried)
    if not state.ok:
        raise AgentSetupError(unapproved_message(claude, state, agents))
    return claude


def hook_environment(workdir: Path, task_id: str) -> dict[str, str]:
    """What a hook command (or a stdio MCP server) starts with: the child environment, plus Claude
    Code's `CLAUDE_PROJECT_DIR` (the checkout the agent works in) and the task's ID."""
    return child_env(extra={"CLAUDE_PROJECT_DIR": str(workdir), "SHOPFLOOR_TASK_ID": task_id})


def open_mcp(root: Path, agent_names: Sequence[str] | None = None, log_dir: Path | None = None) -> McpPool:
    """The MCP servers agents in `root` may use (not started): the configured ones, and those the
    files of `agent_names` (None: every agent) define for themselves. Call after `approved_settings`."""
    from shopfloor.specs.agent_catalog import discover_agents

    claude = load_claude_settings(root)
    agents = discover_agents(root)
    own = {
        a.name: a.mcp_servers
        for a in agents.all()
        if a.mcp_servers and (agent_names is None or a.name in agent_names)
    }
    env = child_env(extra={"CLAUDE_PROJECT_DIR": str(root)})
    return McpPool(claude.servers.values(), agent_configs=own, env=env, cwd=root, log_dir=log_dir)


def _recorder(run: AgentRun) -> tuple[Transcript, Callable[[Event], None]]:
    """The run's transcript, and an `emit` that writes each event there before passing it on."""
    root = run.transcript_root or run.task.workdir
    transcript = Transcript(Layout(root).transcript(run.run_id, run.task.task_id))
    sink = run.on_event

    def emit(event: Event) -> None:
        event = redact_model(event)  # the transcript, the store and the dashboard all start here
        transcript.write(event)
        if sink is not None:
            sink(event)

    return transcript, emit


def _prepare_external(run: AgentRun, name: str, command: str) -> PreparedAgent:
    from shopfloor.agent.external import ExternalSession

    transcript, emit = _recorder(run)
    session = ExternalSession(
        name=name, command=command, task=run.task, deadline_s=run.settings.deadline_s, emit=emit
    )
    return PreparedAgent(loop=session, transcript=transcript, warnings=[], emit=emit)


async def run_agent(run: AgentRun) -> AgentResult:
    """Prepare and run; the transcript is closed and background jobs stopped however it ends. The MCP
    servers the agent may use start first (after the approval check) and stop at the end."""
    from shopfloor.specs.agent_catalog import discover_agents

    if run.mcp is None:
        root = run.catalog_root or run.task.workdir
        approved_settings(root, discover_agents(root), run.approved)
        pool = open_mcp(root, [run.agent], Layout(run.transcript_root or root).runs_dir / run.run_id)
        if pool.connections:
            async with pool:
                run.mcp = pool
                try:
                    return await run_agent(run)
                finally:
                    run.mcp = None
    prepared = prepare(run)
    prepared.announce()
    try:
        loop = prepared.loop
        if isinstance(loop, AgentLoop):
            notice = await loop.ctx.shell.sandbox_notice()
            if notice is not None and notice not in loop.ctx.notices:
                loop.ctx.notices.append(notice)
            await loop.model.check_fits(loop.system.text, loop.toolset.specs())
        result = await loop.run()
    finally:
        await prepared.aclose()
    return _with_transcript(result, prepared.transcript.path)


def _with_transcript(result: AgentResult, path: Path) -> AgentResult:
    from dataclasses import replace

    return replace(result, transcript=path)


def _price_scripted(model: Model, alias: str | None, settings: ModelSettings) -> None:
    """A scripted run reports what the routed real model would have cost, when its script names none."""
    from shopfloor.models.resolve import price_for_spec

    profile = model.profile
    if profile.provider == "scripted" and profile.price is None:
        profile.price = price_for_spec(alias if alias and alias != "inherit" else "sonnet", settings)
