"""Building the run's agents: one model override, one shared provider backoff, one spend guard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopfloor.agent.events import Event
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.config.settings import AgentConfig, Settings
from shopfloor.models.retry import BackoffRegistry


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

    def spec_for(self, task_id: str, routed: str | None) -> str | None:
        spec = self.model_override
        if spec and spec.startswith("scripted:"):
            path = Path(spec.removeprefix("scripted:")).expanduser()
            if not path.is_absolute():
                path = self.project / path
            if path.is_dir():
                return f"scripted:{path / f'{task_id}.yaml'}"
        return spec or routed

    def prepare(
        self,
        agent: str,
        task: AgentTask,
        on_event: Callable[[Event], None],
        *,
        routed_model: str | None = None,
        writable: tuple[Path, ...] | None = None,
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
                writable=writable,
            )
        )
