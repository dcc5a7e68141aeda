"""Grep: regex search over the workspace with ripgrep, or a pure-Python engine giving the same answers."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.grep_render import empty, render
from shopfloor.tools.grep_rg import search_rg
from shopfloor.tools.grep_search import (
    FILE_TYPES,
    FileHits,
    PatternError,
    SearchMode,
    SearchSpec,
    SearchTimeout,
    decode_text,
    type_globs,
)
from shopfloor.tools.grep_worker import search_python_isolated
from shopfloor.tools.protected import secret_paths_within

if TYPE_CHECKING:
    from shopfloor.tools.context import ToolContext

Engine = Literal["auto", "rg", "python"]
OutputMode = Literal["content", "files_with_matches", "count"]
_BINARY_PROBE = 8 * 1024 * 1024
_MODES: dict[str, SearchMode] = {"files_with_matches": "files", "content": "content", "count": "count"}

DESCRIPTION = """Search file contents with a regular expression (ripgrep's Rust syntax); use it instead \
of grep or rg in Bash.
- `log.*Error`, `function\\s+\\w+`; alternation is `a|b` (not `a\\|b`); literal braces need escaping \
(`interface\\{\\}`). Patterns match within a line unless multiline is true.
- output_mode "files_with_matches" (default) lists paths newest first; "content" gives matching \
lines (-A/-B/-C context, -n numbers); "count" gives matches per file and a total.
- Respects .gitignore, searches hidden files, skips .git and binary files."""


class GrepInput(ToolInput):
    pattern: str = Field(description="Regular expression to search for in file contents.")
    path: str | None = Field(
        default=None, description="File or directory to search (absolute); default the workspace."
    )
    glob: str | None = Field(
        default=None,
        description=(
            'Only files matching this glob ("*.js", "src/**/*.{ts,tsx}"); separate several with spaces '
            'or commas; "!glob" leaves files out.'
        ),
    )
    file_type: str | None = Field(
        default=None,
        alias="type",
        description="Only files of this type: py, js, ts, go, rust, java, md, json, yaml, ...",
    )
    output_mode: OutputMode = Field(
        default="files_with_matches",
        description="What to return (see above).",
    )
    before: int | None = Field(
        default=None, alias="-B", ge=0, description="Lines before each match (content)."
    )
    after: int | None = Field(default=None, alias="-A", ge=0, description="Lines after each match (content).")
    context: int | None = Field(
        default=None,
        alias="-C",
        ge=0,
        description="Lines around each match (content).",
    )
    line_numbers: bool | None = Field(
        default=None, alias="-n", description="Line numbers (content; default true)."
    )
    ignore_case: bool = Field(default=False, alias="-i", description="Case-insensitive search.")
    multiline: bool = Field(default=False, description="Patterns may span lines; `.` matches newlines.")
    head_limit: int = Field(default=250, ge=0, description="At most this many lines or files (0: all).")
    offset: int = Field(default=0, ge=0, description="Skip this many first, to page through long answers.")


class GrepTool(Tool[GrepInput]):
    """Grep with ripgrep when it is installed, else the pure-Python engine."""

    name = "Grep"
    description = DESCRIPTION
    input_model = GrepInput
    read_only = True

    def __init__(self, engine: Engine = "auto", *, timeout_s: float = 60.0):
        self.engine = engine
        self.timeout_s = timeout_s

    def ripgrep(self) -> str | None:
        """The rg executable this tool will use, or None for the Python engine."""
        if self.engine == "python":
            return None
        rg = shutil.which("rg")
        if rg is None and self.engine == "rg":
            raise ToolError("Error: ripgrep (rg) is not installed, and this Grep was told to use it.")
        return rg

    async def run(self, args: GrepInput, ctx: ToolContext) -> str:
        root = ctx.workspace.resolve(args.path) if args.path else ctx.workspace.root
        if not root.exists():
            raise ToolError(f"Error: path does not exist: {root}")
        if not (root.is_dir() or root.is_file()):
            raise ToolError(f"Error: {root} is not a regular file or a directory.")
        spec = self._spec(args, root)
        if root.is_file() and _is_binary(root):
            return empty(spec.mode) + f"\n({root} is a binary file; Grep does not search binary files.)"
        hits = await self._search(spec)
        note = ""
        if not hits and "\\|" in args.pattern:
            retry = args.pattern.replace("\\|", "|")
            try:
                hits = await self._search(replace(spec, pattern=retry))
            except ToolError:
                pass
            else:
                note = f"Note: `\\|` is a literal bar in this regex syntax; searched for `{retry}` instead.\n"
        show_numbers = args.line_numbers if args.line_numbers is not None else True
        return note + render(hits, spec, show_numbers, args.head_limit, args.offset)

    def _spec(self, args: GrepInput, root: Path) -> SearchSpec:
        globs: tuple[str, ...] = ()
        if args.glob and args.glob.strip():
            globs = tuple(split_globs(args.glob))
        types: tuple[str, ...] = ()
        if args.file_type:
            found = type_globs(args.file_type)
            if found is None:
                known = ", ".join(sorted(FILE_TYPES))
                raise ToolError(f"Error: unknown file type `{args.file_type}`. Known types: {known}.")
            types = found
        if root.is_dir():
            # Credential stores under the search root (a workspace that is the home folder) stay unread.
            globs += tuple(
                "!/" + _glob_escape(p.relative_to(root).as_posix()) for p in secret_paths_within(root)
            )
        context = args.context or 0
        return SearchSpec(
            pattern=args.pattern,
            root=root,
            mode=_MODES[args.output_mode],
            globs=globs,
            type_globs=types,
            ignore_case=args.ignore_case,
            multiline=args.multiline,
            before=args.before if args.before is not None else context,
            after=args.after if args.after is not None else context,
            timeout_s=self.timeout_s,
        )

    async def _search(self, spec: SearchSpec) -> list[FileHits]:
        try:
            rg = self.ripgrep()
            if rg is not None:
                return await search_rg(spec, rg)
            return await search_python_isolated(spec)
        except PatternError as err:
            raise ToolError(f"Error: the pattern is not a valid regex.\n{err}") from None
        except SearchTimeout:
            raise ToolError(
                f"Error: the search took longer than {self.timeout_s:g}s and was stopped. "
                "Narrow it with path, glob or type."
            ) from None


def split_globs(raw: str) -> list[str]:
    """Split "*.py *.pyi" or "*.py,*.pyi" into globs, keeping commas inside braces."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for c in raw:
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(depth - 1, 0)
        if (c.isspace() or c == ",") and depth == 0:
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]{}!\\" else c for c in text)


def _is_binary(path: Path) -> bool:
    """Whether a file named as `path` is binary, judged on its first 8 MiB."""
    try:
        with path.open("rb") as f:
            return decode_text(f.read(_BINARY_PROBE)) is None
    except OSError:
        return False
