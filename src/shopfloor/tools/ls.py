"""LS: the files and folders under a directory, as an indented tree."""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

import anyio
from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.globs import path_glob_match
from shopfloor.tools.protected import secret_paths_within

MAX_ENTRIES = 1000
_SKIPPED_DIRS = ("__pycache__", "node_modules")


class LSInput(ToolInput):
    path: str = Field(description="Absolute path of the directory to list.")
    ignore: list[str] | None = Field(
        default=None, description="Glob patterns of names or paths to leave out."
    )


class LSTool(Tool[LSInput]):
    name = "LS"
    input_model = LSInput
    read_only = True
    description = (
        "List the files and folders under a directory, as an indented tree (folders end with `/`). "
        "`path` must be a directory in the workspace, preferably absolute; `ignore` takes glob patterns "
        "to leave out. Hidden entries, `__pycache__` and `node_modules` are not shown, and the listing "
        f"stops after {MAX_ENTRIES} entries. To find files by name pattern, Glob and Grep are usually "
        "the better tools."
    )

    async def run(self, args: LSInput, ctx: ToolContext) -> str:
        root = ctx.workspace.resolve(args.path)
        if not root.exists():
            raise ToolError(f"Error: {root} does not exist.")
        if not root.is_dir():
            raise ToolError(f"Error: {root} is a file, not a directory; use Read to open it.")
        ignore = [p for p in args.ignore or [] if p.strip()]
        hidden = secret_paths_within(root)
        entries, cut = await anyio.to_thread.run_sync(_walk, root, ignore, hidden)
        lines = [f"- {root}/", *_tree(entries)]
        head = ""
        if cut:
            head = (
                f"There are more than {MAX_ENTRIES} files and folders under {root}. The first "
                f"{MAX_ENTRIES} are listed below; list a deeper path, or use Glob, Grep or Bash, to see "
                "the rest.\n\n"
            )
        return head + "\n".join(lines)


def _walk(root: Path, ignore: list[str], hidden: list[Path]) -> tuple[list[tuple[str, bool]], bool]:
    """(relative path, is a folder) breadth first, at most MAX_ENTRIES; True when some were left out."""
    found: list[tuple[str, bool]] = []
    queue: deque[Path] = deque([root])
    while queue:
        folder = queue.popleft()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in children:
            if entry.name.startswith(".") or entry.name in _SKIPPED_DIRS:
                continue
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            if path in hidden or any(path_glob_match(p, rel) for p in ignore):
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if len(found) >= MAX_ENTRIES:
                return found, True
            found.append((rel, is_dir))
            if is_dir:
                queue.append(path)
    return found, False


def _tree(entries: list[tuple[str, bool]]) -> list[str]:
    """Indented `- name` lines, each folder followed by what is inside it."""
    children: dict[str, list[tuple[str, bool]]] = {}
    for rel, is_dir in entries:
        parent = rel.rpartition("/")[0]
        children.setdefault(parent, []).append((rel, is_dir))
    lines: list[str] = []

    def emit(parent: str, depth: int) -> None:
        for rel, is_dir in children.get(parent, []):
            name = rel.rpartition("/")[2]
            lines.append(f"{'  ' * depth}- {name}{'/' if is_dir else ''}")
            if is_dir:
                emit(rel, depth + 1)

    emit("", 1)
    return lines
