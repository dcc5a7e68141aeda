"""Building the run's agents: one model override, one shared provider backoff, one spend guard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.agent.events import Event
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.config.settings import AgentConfig, Settings
from shopfloor.layout import Layout
from shopfloor.models.base import CacheTTL
from shopfloor.models.retry import BackoffRegistry
from shopfloor.queue.files import read_text_exact
from shopfloor.queue.routing import route
from shopfloor.queue.status_rows import read_statuses, without_statuses
from shopfloor.queue.tasks import parse_task_queue
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.mcp_client import McpPool


def model_spec(project: Path, override: str | None, task_id: str, routed: str | None) -> str | None:
    """The spec a task's agent runs with: `--model` when given (`scripted:DIR` picks DIR/<TASK-ID>.yaml),
    else what routing chose."""
    if override and override.startswith("scripted:"):
        path = Path(override.removeprefix("scripted:")).expanduser()
        if not path.is_absolute():
            path = project / path
        if path.is_dir():
            return f"scripted:{path / f'{task_id}.yaml'}"
    return override or routed


@dataclass(frozen=True)
class AgentLauncher:
    project: Path
    """Transcripts go under the project's `.orchestrator/runs/`, whichever worktree the agent works in."""
    settings: Settings
    run_id: int
    backoffs: BackoffRegistry
    guard: Callable[[], str | None]
    """The run-wide budget check every agent makes before each model call."""
    model_override: str | None = None
    """A model spec forced on every agent (`--model`); a `scripted:DIR` picks DIR/<TASK-ID>.yaml."""
    mcp: McpPool | None = None
    """The run's MCP servers: started once when the run starts, shared by its agents, stopped at its end."""
    approved: str | None = None
    """The digest of the project's hooks and MCP servers as approved where the run started (see
    `AgentRun.approved`); None: this machine's approvals decide."""
    queue_written: Callable[[], None] = lambda: None
    """Waits until the queue file shows every task status the run has set (it is written by a thread)."""
    _agents: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)
    """Which agent each task of the queue goes to, by the queue's text with its statuses left out."""

    def spec_for(self, task_id: str, routed: str | None) -> str | None:
        return model_spec(self.project, self.model_override, task_id, routed)

    def prepare(
        self,
        agent: str,
        task: AgentTask,
        on_event: Callable[[Event], None],
        *,
        routed_model: str | None = None,
        writable: tuple[Path, ...] | None = None,
        env: EnvOverlay | None = None,
    ) -> PreparedAgent:
        """A built task agent (`routed_model` given: the task budget applies) or a planning agent.

        Agent and skill files come from the project, never from a worktree an agent could write to;
        `writable` narrows what the agent may change (a planning agent: only where its output goes).
        """
        limits = self.settings.limits
        per_task = self.settings.run.task_budget_usd
        if routed_model is not None and per_task is not None:
            limits = limits.model_copy(update={"budget_usd": per_task})
        return prepare(
            AgentRun(
                agent=agent,
                task=task,
                settings=AgentConfig.of(self.settings, limits=limits),
                model_spec=self.spec_for(task.task_id, routed_model),
                run_id=f"run-{self.run_id}",
                transcript_root=self.project,
                guards=[self.guard],
                on_event=on_event,
                backoffs=self.backoffs,
                priced_as=routed_model,
                catalog_root=self.project,
                mcp=self.mcp,
                approved=self.approved,
                writable=writable,
                env=env,
                cache_ttl=self.cache_ttl(agent) if routed_model is not None else "5m",
            )
        )

    def cache_ttl(self, agent: str) -> CacheTTL:
        """How long `agent`'s shared prompt prefix should stay cached: an hour while other unfinished tasks
        of the queue go to it too, so a later one still finds the prefix after the gates and merges in
        between; else 5 minutes. A 1-hour write costs 2x input against 1.25x and a read 0.1x, so one expiry
        avoided pays for it (bench/cache_bill.py)."""
        path = Layout(self.project).task_queue
        self.queue_written()
        try:
            text = read_text_exact(path)
            statuses, shape = read_statuses(text), without_statuses(text)
            if statuses is None or shape is None:  # not the plain shape: read it the full way
                tasks = parse_task_queue(text, path).tasks
                statuses, shape = {t.id: t.status for t in tasks}, text
            agents = self._agents.get(shape)
            if agents is None:  # the tasks themselves changed (a new loop's tasks): route them again
                routing = self.settings.routing
                agents = {t.id: route(t, routing).agent for t in parse_task_queue(text, path).tasks}
                self._agents.clear()
                self._agents[shape] = agents
        except (OSError, ValueError):
            return "5m"
        mine = [t for t, a in agents.items() if a == agent and statuses.get(t) != "completed"]
        return "1h" if len(mine) > 1 else "5m"
