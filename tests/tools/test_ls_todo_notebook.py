"""LS, TodoWrite and NotebookEdit as a model calls them, answering as Claude Code's tools do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopfloor.tools.context import ToolContext
from shopfloor.tools.ls import MAX_ENTRIES, LSTool
from shopfloor.tools.notebook import NotebookEditTool
from shopfloor.tools.read import ReadTool
from shopfloor.tools.todo import TodoWriteTool
from shopfloor.tools.todo_list import TodoItem
from tests.toolcall import call

pytestmark = pytest.mark.anyio


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


async def test_ls_lists_a_tree_without_hidden_entries(tool_ctx: ToolContext) -> None:
    root = tool_ctx.workspace.root
    touch(
        root, "b.py", "a.txt", "src/main.py", "src/util/io.py", ".env", ".git/config", "src/__pycache__/m.pyc"
    )
    result = await call(LSTool(), tool_ctx, path=str(root))
    assert not result.is_error
    assert result.content == "\n".join(
        [f"- {root}/", "  - a.txt", "  - b.py", "  - src/", "    - main.py", "    - util/", "      - io.py"]
    )


async def test_ls_ignore_patterns_and_errors(tool_ctx: ToolContext) -> None:
    root = tool_ctx.workspace.root
    touch(root, "keep.py", "drop.log", "logs/x.log")
    result = await call(LSTool(), tool_ctx, path=str(root), ignore=["*.log"])
    assert "keep.py" in result.content and ".log" not in result.content
    missing = await call(LSTool(), tool_ctx, path=str(root / "nope"))
    assert missing.is_error and "does not exist" in missing.content
    afile = await call(LSTool(), tool_ctx, path=str(root / "keep.py"))
    assert afile.is_error and "Read" in afile.content
    outside = await call(LSTool(), tool_ctx, path="/etc")
    assert outside.is_error and "outside the workspace" in outside.content


async def test_ls_says_when_the_listing_was_cut(tool_ctx: ToolContext) -> None:
    root = tool_ctx.workspace.root
    touch(root, *(f"d{i // 100}/f{i}.txt" for i in range(MAX_ENTRIES + 20)))
    result = await call(LSTool(), tool_ctx, path=str(root))
    assert result.content.startswith(f"There are more than {MAX_ENTRIES} files and folders")
    assert len([line for line in result.content.splitlines() if line.startswith("  ")]) == MAX_ENTRIES


async def test_todowrite_keeps_the_list_and_reports_it(tool_ctx: ToolContext) -> None:
    seen: list[list[TodoItem]] = []
    tool_ctx.on_todos = seen.append
    todos = [
        {"content": "Write the test", "status": "completed", "activeForm": "Writing the test"},
        {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
    ]
    result = await call(TodoWriteTool(), tool_ctx, todos=todos)
    assert not result.is_error
    assert result.content.startswith("Todos have been modified successfully.")
    assert [t.model_dump() for t in tool_ctx.todos] == todos
    assert [t.content for t in seen[-1]] == ["Write the test", "Fix the bug"]


@pytest.mark.parametrize(
    ("todos", "problem"),
    [
        ([{"content": "x", "status": "done", "activeForm": "x-ing"}], "todos.0.status"),
        ([{"content": "x", "status": "pending"}], "todos.0.activeForm"),
        ([{"content": "", "status": "pending", "activeForm": "x"}], "todos.0.content"),
    ],
)
async def test_todowrite_names_the_bad_parameter(tool_ctx: ToolContext, todos: Any, problem: str) -> None:
    result = await call(TodoWriteTool(), tool_ctx, todos=todos)
    assert result.is_error and f"`{problem}`" in result.content
    assert tool_ctx.todos == []


def notebook(minor: int = 5) -> dict[str, Any]:
    return {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# Title\n"]},
            {
                "cell_type": "code",
                "id": "calc",
                "metadata": {},
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["2\n"]}],
                "source": ["print(1 + 1)\n"],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": minor,
    }


async def read_notebook(ctx: ToolContext, minor: int = 5) -> Path:
    path = ctx.workspace.root / "nb.ipynb"
    path.write_text(json.dumps(notebook(minor), indent=1) + "\n")
    assert not (await call(ReadTool(), ctx, file_path=str(path))).is_error
    return path


async def test_notebook_replace_clears_outputs(tool_ctx: ToolContext) -> None:
    path = await read_notebook(tool_ctx)
    result = await call(
        NotebookEditTool(), tool_ctx, notebook_path=str(path), cell_id="calc", new_source="x = 2\nx"
    )
    assert not result.is_error and result.content == "Updated cell calc with x = 2\nx"
    cell = json.loads(path.read_text())["cells"][1]
    assert cell["source"] == ["x = 2\n", "x"]
    assert cell["outputs"] == [] and cell["execution_count"] is None


async def test_notebook_insert_and_delete(tool_ctx: ToolContext) -> None:
    path = await read_notebook(tool_ctx)
    tool = NotebookEditTool()
    first = await call(tool, tool_ctx, notebook_path=str(path), new_source="import os", cell_type="code",
                       edit_mode="insert")  # fmt: skip
    assert first.content.startswith("Inserted cell ") and first.content.endswith(" with import os")
    after = await call(tool, tool_ctx, notebook_path=str(path), cell_id="intro", new_source="Text",
                       cell_type="markdown", edit_mode="insert")  # fmt: skip
    assert not after.is_error
    cells = json.loads(path.read_text())["cells"]
    assert [c["source"] for c in cells] == [["import os"], ["# Title\n"], ["Text"], ["print(1 + 1)\n"]]
    assert all("id" in c for c in cells)  # nbformat 4.5 cells carry ids
    gone = await call(
        tool, tool_ctx, notebook_path=str(path), cell_id="cell-1", new_source="", edit_mode="delete"
    )
    assert gone.content == "Deleted cell cell-1"
    assert [c["source"] for c in json.loads(path.read_text())["cells"]][:2] == [["import os"], ["Text"]]


async def test_notebook_errors(tool_ctx: ToolContext) -> None:
    tool = NotebookEditTool()
    root = tool_ctx.workspace.root
    (root / "plain.py").write_text("x = 1\n")
    not_nb = await call(tool, tool_ctx, notebook_path=str(root / "plain.py"), cell_id="a", new_source="")
    assert not_nb.is_error and ".ipynb" in not_nb.content
    path = root / "nb.ipynb"
    path.write_text(json.dumps(notebook(4)))
    unread = await call(tool, tool_ctx, notebook_path=str(path), cell_id="cell-0", new_source="y")
    assert unread.is_error and "has not been read" in unread.content
    await read_notebook(tool_ctx, minor=4)
    missing = await call(tool, tool_ctx, notebook_path=str(path), cell_id="nope", new_source="y")
    assert missing.is_error and "no cell `nope`" in missing.content
    no_type = await call(tool, tool_ctx, notebook_path=str(path), new_source="y", edit_mode="insert")
    assert no_type.is_error and "cell_type" in no_type.content
    old = await call(
        tool, tool_ctx, notebook_path=str(path), new_source="y", cell_type="code", edit_mode="insert"
    )
    assert not old.is_error
    assert "id" not in json.loads(path.read_text())["cells"][0]  # before nbformat 4.5 cells have no ids
