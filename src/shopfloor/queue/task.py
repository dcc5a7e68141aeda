"""A task of the queue, as typed data."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.config.sections import Category, Complexity
from shopfloor.queue.commands import CommandKind, Commands, is_placeholder
from shopfloor.queue.markdown import ID_PATTERN
from shopfloor.queue.vocabulary import Priority, TestMode

Status = Literal["pending", "in_progress", "completed", "failed", "blocked"]
STATUSES: tuple[str, ...] = get_args(Status)
CATEGORIES: tuple[str, ...] = get_args(Category)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)


class Task(BaseModel):
    """One task of the queue; fields shopfloor does not know ride along in the `extra_*` fields."""

    model_config = ConfigDict(validate_assignment=True)

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    title: str | None = None
    status: Status = "pending"
    category: Category
    complexity: Complexity = "normal"
    priority: Priority | None = None
    """Orders tasks that are ready at the same time (critical first); none counts as medium."""
    objective: str = ""
    criteria: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    agent: str | None = None
    model: str | None = None
    mode: TestMode | None = None
    """A testing task's mode: `write` its tests before the code exists, or `verify` built code."""
    build_command: str | None = None
    test_command: str | None = None
    services: list[str] = Field(default_factory=list)
    """Services the task's tests need running (the seed's `Required Services`)."""
    data_models: str | None = None
    security_requirements: str | None = None
    files: str | None = None
    extra_fields: dict[str, str] = Field(default_factory=dict)
    """Fields shopfloor does not know, by name as written."""
    extra_sections: dict[str, str] = Field(default_factory=dict)
    """Sections shopfloor does not know, by name as written."""
    project_commands: Commands = Field(default_factory=Commands)
    """The queue's `## Project Commands`; read from the file's header, never written into the task."""
    assumed: list[str] = Field(default_factory=list)
    """What shopfloor assumed because the task left it out (said by `shopfloor run --dry-run`)."""

    def own_command(self, kind: CommandKind) -> str | None:
        return self.build_command if kind == "build" else self.test_command

    def check_commands(self) -> list[tuple[CommandKind, str, Literal["task", "project"]]]:
        """The build and test commands the gate runs for this task: its own, else the project's."""
        out: list[tuple[CommandKind, str, Literal["task", "project"]]] = []
        kinds: tuple[CommandKind, ...] = ("build", "test")
        for kind in kinds:
            own = self.own_command(kind)
            project = self.project_commands.get(kind)
            if own and not is_placeholder(own):
                out.append((kind, own, "task"))
            elif project and not is_placeholder(project):
                out.append((kind, project, "project"))
        return out
