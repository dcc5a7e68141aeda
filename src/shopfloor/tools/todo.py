"""TodoWrite: the agent's own task list, kept for the task and shown in its transcript."""

from __future__ import annotations

from pydantic import Field

from shopfloor.tools.base import Tool, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.todo_list import TodoItem


class TodoWriteInput(ToolInput):
    todos: list[TodoItem] = Field(description="The whole updated list; it replaces the previous one.")


class TodoWriteTool(Tool[TodoWriteInput]):
    name = "TodoWrite"
    input_model = TodoWriteInput
    description = (
        "Keep a structured task list for the work in front of you, so you and whoever reads the run can "
        "follow progress. Send the whole list each time; it replaces the previous one.\n\n"
        "Use it for work of three or more distinct steps, or when the task gives several requirements: "
        "write the steps down at the start, mark one step `in_progress` before you begin it (only one at "
        "a time), and mark it `completed` as soon as it is done and verified, not in batches. Add steps "
        "you discover along the way; remove ones that turn out not to be needed. Do not mark a step "
        "completed while its tests fail or its work is partial. Skip the list for a single trivial step.\n\n"
        "Each item has `content` (imperative: 'Fix the login test'), `activeForm` (present continuous: "
        "'Fixing the login test') and `status` (pending, in_progress, completed)."
    )

    async def run(self, args: TodoWriteInput, ctx: ToolContext) -> str:
        ctx.todos = [t.model_copy() for t in args.todos]
        if ctx.on_todos is not None:
            ctx.on_todos(list(ctx.todos))
        return (
            "Todos have been modified successfully. Keep using the todo list to track your progress, "
            "and go on with the current tasks if there are any."
        )
