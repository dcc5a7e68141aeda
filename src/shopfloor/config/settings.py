"""Settings for every component, layered: defaults, shopfloor.toml / [tool.shopfloor], SHOPFLOOR_*, flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopfloor.config.loader import (
    ConfigError,
    deep_merge,
    env_name,
    env_overrides,
    has_path,
    read_project_config,
)
from shopfloor.config.sections import (
    EnvSettings,
    GateSettings,
    LimitSettings,
    ModelSettings,
    RoutingSettings,
    RunSettings,
    SandboxSettings,
    ToolSettings,
)


class Settings(BaseModel):
    """All of shopfloor's configuration."""

    model_config = ConfigDict(extra="forbid")

    models: ModelSettings = Field(default_factory=ModelSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    env: EnvSettings = Field(default_factory=EnvSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)


@dataclass(frozen=True)
class AgentConfig:
    """The slice of the configuration one agent run reads."""

    models: ModelSettings = field(default_factory=ModelSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    deadline_s: float = RunSettings.model_fields["task_deadline_s"].default
    """How long an external (`command:`) agent may take to write its marker."""
    tools: ToolSettings = field(default_factory=ToolSettings)

    @classmethod
    def of(cls, settings: Settings, *, limits: LimitSettings | None = None) -> AgentConfig:
        return cls(
            models=settings.models,
            limits=limits or settings.limits,
            sandbox=settings.sandbox,
            deadline_s=settings.run.task_deadline_s,
            tools=settings.tools,
        )


def load_settings(
    root: Path, *, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the project file, then environment, then `overrides` (from flags)."""
    data, source = read_project_config(root)
    from_env = env_overrides(environ)
    merged = deep_merge(deep_merge(data, from_env), overrides or {})
    try:
        return Settings.model_validate(merged)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False):
            loc = tuple(e["loc"])
            # Blame the layer the value came from: the flags win over the environment over the file.
            if has_path(overrides or {}, loc):
                where = "the command line"
            elif has_path(from_env, loc):
                where = env_name(loc)
            else:
                where = str(source) if source else "configuration"
            problems.append(f"{where}: {'.'.join(str(p) for p in loc)}: {e['msg']}")
        raise ConfigError("; ".join(problems)) from err
