"""Settings for every component, layered: defaults, shopfloor.toml / [tool.shopfloor], SHOPFLOOR_*, flags."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopfloor.agent.budget import LimitSettings
from shopfloor.config.loader import ConfigError, deep_merge, env_overrides, read_project_config
from shopfloor.gate.report import GateSettings
from shopfloor.models.resolve import ModelSettings
from shopfloor.queue.routing import RoutingSettings


class SandboxSettings(BaseModel):
    """How agents' shell commands are confined."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Run Bash commands inside bubblewrap where it works.")
    allow_network: bool = Field(False, description="Let sandboxed commands reach the network.")


class RunSettings(BaseModel):
    """How an orchestrated run schedules and retries tasks."""

    model_config = ConfigDict(extra="forbid")

    parallel: int = Field(4, ge=1, description="Agents running at once.")
    attempts: int = Field(3, ge=1, description="Tries per task before it fails.")
    budget_usd: float | None = Field(None, gt=0, description="Dollar budget for the whole run.")
    task_budget_usd: float | None = Field(
        None, gt=0, description="Dollars reserved for each task; defaults to limits.budget_usd."
    )
    task_deadline_s: float = Field(3600, gt=0, description="Longest a task may run before it is failed.")
    lease_s: float = Field(
        900, gt=0, description="Seconds an agent may go without any event before its attempt is retried."
    )
    merge_attempts: int = Field(2, ge=1, description="Tries to resolve a merge conflict per task.")
    tdd: bool = Field(False, description="Ask decomposition for test-first tasks.")


class Settings(BaseModel):
    """All of shopfloor's configuration."""

    model_config = ConfigDict(extra="forbid")

    models: ModelSettings = Field(default_factory=ModelSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    run: RunSettings = Field(default_factory=RunSettings)


def load_settings(
    root: Path, *, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the project file, then environment, then `overrides` (from flags)."""
    data, source = read_project_config(root)
    merged = deep_merge(deep_merge(data, env_overrides(environ)), overrides or {})
    try:
        return Settings.model_validate(merged)
    except ValidationError as err:
        where = str(source) if source else "configuration"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors(include_url=False)
        )
        raise ConfigError(f"{where}: {problems}") from err
