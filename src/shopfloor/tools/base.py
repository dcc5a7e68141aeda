"""The tool seam: a tool is a pydantic input model plus an async function returning text."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from shopfloor.tools.errors import ToolError

if TYPE_CHECKING:
    from shopfloor.tools.context import ToolContext

__all__ = ["Tool", "ToolError", "ToolInput", "ToolResult"]


@dataclass(frozen=True)
class ToolResult:
    """What goes back to the model for one tool call."""

    content: str
    is_error: bool = False


class ToolInput(BaseModel):
    """Base for tool input models: unknown keys are refused; "5" and "true" are accepted (lax mode)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


InputT = TypeVar("InputT", bound=ToolInput)


class Tool(abc.ABC, Generic[InputT]):
    """One tool as the model sees it. Subclasses set the class attributes and implement `run`."""

    name: ClassVar[str]
    description: ClassVar[str]
    input_model: ClassVar[type[ToolInput]]
    read_only: ClassVar[bool] = False

    @abc.abstractmethod
    async def run(self, args: InputT, ctx: ToolContext) -> str | ToolResult:
        """Do the work; raise ToolError for failures the model should see."""

    def describe(self) -> str:
        """The description the model gets; a tool whose text depends on the run overrides this."""
        return self.description

    @classmethod
    def input_schema(cls) -> dict[str, Any]:
        """JSON Schema for the input, as sent to the model."""
        from shopfloor.tools.schema import schema_for

        return schema_for(cls.input_model)
