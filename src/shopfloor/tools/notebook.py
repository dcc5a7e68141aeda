"""NotebookEdit: replace, insert or delete one cell of a Jupyter notebook (the .ipynb JSON format)."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, Literal

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.write import load_for_change, save

_INDEX_ID = re.compile(r"^(?:cell-)?(\d+)$")


class NotebookEditInput(ToolInput):
    notebook_path: str = Field(description="Absolute path of the .ipynb file to edit.")
    cell_id: str | None = Field(
        default=None,
        description="Id of the cell to edit. With edit_mode=insert the new cell goes after this one, or "
        "first when it is left out.",
    )
    new_source: str = Field(description="The new source of the cell.")
    cell_type: Literal["code", "markdown"] | None = Field(
        default=None, description="Type of the cell; needed for insert, changes the type on replace."
    )
    edit_mode: Literal["replace", "insert", "delete"] | None = Field(
        default=None, description="replace (default), insert or delete."
    )


class NotebookEditTool(Tool[NotebookEditInput]):
    name = "NotebookEdit"
    input_model = NotebookEditInput
    description = (
        "Change one cell of a Jupyter notebook (.ipynb): replace its source (edit_mode=replace, the "
        "default), insert a new cell after the one named by cell_id (edit_mode=insert; cell_type is "
        "required, and without cell_id the cell goes first), or delete it (edit_mode=delete). Cells are "
        "named by their `id` in the notebook; `cell-N` (0-based) names the cell at position N. Read the "
        "notebook first. Outputs of a changed code cell are cleared."
    )

    async def run(self, args: NotebookEditInput, ctx: ToolContext) -> str:
        path = ctx.workspace.resolve(args.notebook_path)
        ctx.workspace.check_writable(path)
        if path.suffix != ".ipynb":
            raise ToolError(f"Error: {path} is not a Jupyter notebook (.ipynb); use Edit for other files.")
        data = load_for_change(path, ctx)
        if data is None:
            raise ToolError(f"Error: {path} does not exist. Create a notebook with Write first.")
        try:
            notebook = json.loads(data.decode("utf-8"))
            cells = notebook["cells"]
            if not isinstance(cells, list):
                raise TypeError("cells is not a list")
        except (ValueError, KeyError, TypeError) as err:
            raise ToolError(f"Error: {path} is not a valid notebook: {err}") from err
        mode = args.edit_mode or "replace"
        if mode == "insert":
            if args.cell_type is None:
                raise ToolError("Error: cell_type (code or markdown) is required to insert a cell.")
            at = 0 if args.cell_id is None else _find(cells, args.cell_id, path) + 1
            cell = _new_cell(args.cell_type, args.new_source, with_id=_has_ids(notebook))
            cells.insert(at, cell)
            message = f"Inserted cell {cell.get('id', f'cell-{at}')} with {args.new_source}"
        else:
            if args.cell_id is None:
                raise ToolError(f"Error: cell_id is required to {mode} a cell.")
            index = _find(cells, args.cell_id, path)
            if mode == "delete":
                cells.pop(index)
                message = f"Deleted cell {args.cell_id}"
            else:
                _replace(cells[index], args.new_source, args.cell_type)
                message = f"Updated cell {args.cell_id} with {args.new_source}"
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        await save(path, text.encode("utf-8"), ctx)
        return message


def _find(cells: list[Any], cell_id: str, path: object) -> int:
    for i, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("id") == cell_id:
            return i
    match = _INDEX_ID.match(cell_id.strip())
    if match and int(match.group(1)) < len(cells):
        return int(match.group(1))
    ids = [str(c.get("id")) for c in cells if isinstance(c, dict) and c.get("id")]
    known = f" Cell ids: {', '.join(ids[:20])}." if ids else f" It has {len(cells)} cells (cell-0 ...)."
    raise ToolError(f"Error: no cell `{cell_id}` in {path}.{known}")


def _has_ids(notebook: dict[str, Any]) -> bool:
    # Cell ids arrived with nbformat 4.5.
    return (notebook.get("nbformat", 4), notebook.get("nbformat_minor", 0)) >= (4, 5)


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def _new_cell(kind: str, source: str, *, with_id: bool) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": _lines(source)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if with_id:
        cell["id"] = secrets.token_hex(4)
    return cell


def _replace(cell: dict[str, Any], source: str, kind: str | None) -> None:
    cell["source"] = _lines(source)
    if kind is not None and kind != cell.get("cell_type"):
        cell["cell_type"] = kind
        if kind == "markdown":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    if cell.get("cell_type") == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
