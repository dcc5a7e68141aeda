"""The options a run starts with: kept with the run in the store, so `shopfloor resume` goes on with them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class RunOptions(BaseModel):
    decompose: bool = False
    model: str | None = None
    """A model spec for every agent; `scripted:DIR` plays DIR/<TASK-ID>.yaml for each task."""
    loops: int = 0
    resume: bool = False
    task_ids: list[str] = Field(default_factory=list)
    """Run only these tasks (and nothing else), when given."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Settings the command line changed (`--parallel`, `--budget-usd`, ...), as settings sections."""
    branch: str | None = None
    """The branch the run delivers its work to (the one checked out when it started)."""
    executor: Literal["local", "ray"] = "local"
    """Where attempts run: worktrees on this machine, or Ray workers (`ray_address`, or a local Ray)."""
    ray_address: str | None = None

    def resumed_with(self, given: RunOptions) -> RunOptions:
        """These (a stopped run's) options, with whatever `resume` was given on top."""
        overrides = {k: dict(v) if isinstance(v, dict) else v for k, v in self.overrides.items()}
        for section, values in given.overrides.items():
            if isinstance(values, dict) and isinstance(overrides.get(section), dict):
                overrides[section].update(values)
            else:
                overrides[section] = values
        return self.model_copy(
            update={
                "resume": True,
                "decompose": False,
                "model": given.model or self.model,
                "executor": given.executor if "executor" in given.model_fields_set else self.executor,
                "ray_address": given.ray_address or self.ray_address,
                "overrides": overrides,
            }
        )
