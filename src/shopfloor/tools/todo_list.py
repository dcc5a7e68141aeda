"""The agent's task list as data: what TodoWrite sets and the transcript and dashboard show."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TodoStatus = Literal["pending", "in_progress", "completed"]


class TodoItem(BaseModel):
    """One entry of the list, in Claude Code's shape."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, description="What is to be done, in the imperative: 'Run the tests'.")
    status: TodoStatus = Field(description="pending, in_progress or completed.")
    activeForm: str = Field(
        min_length=1,
        description="The same in the present continuous, shown while it runs: 'Running the tests'.",
    )
