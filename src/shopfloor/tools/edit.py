"""Edit and MultiEdit: exact string replacement in a file the agent has read."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.textfiles import (
    TextDoc,
    decode,
    displayable,
    looks_binary,
    missing_file_error,
    number_line,
    split_lines,
)
from shopfloor.tools.write import encode_or_fail, load_for_change, save

CONTEXT_LINES = 3
MAX_SNIPPET_LINES = 40
_DIFF_LIMIT = 20_000
_NEW_DOC = TextDoc("", False, b"", "utf-8", "surrogateescape")
_LINE_PREFIX = re.compile(r"^ *\d+\t", re.MULTILINE)


class EditProblem(Exception):
    """Why one replacement cannot be made; worded to follow "Error: " or "edit 2 of 3 failed: "."""


class EditInput(ToolInput):
    file_path: str = Field(description="Absolute path of the file to change.")
    old_string: str = Field(description="The exact text to replace, without Read's line-number prefixes.")
    new_string: str = Field(description="The text to put in its place (must differ).")
    replace_all: bool = Field(default=False, description="Replace every occurrence, not exactly one.")


class EditOperation(ToolInput):
    old_string: str = Field(description="The exact text to replace.")
    new_string: str = Field(description="The text to put in its place.")
    replace_all: bool = Field(default=False, description="Replace every occurrence instead of exactly one.")


class MultiEditInput(ToolInput):
    file_path: str = Field(description="Absolute path of the file to change.")
    edits: list[EditOperation] = Field(
        min_length=1, description="Replacements applied one after another, each to the result of the last."
    )

    @field_validator("edits", mode="before")
    @classmethod
    def _edits_sent_as_json_text(cls, value: Any) -> Any:
        # Some models send the array as a JSON string; accept it like "5" is accepted for 5.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


class EditTool(Tool[EditInput]):
    name = "Edit"
    input_model = EditInput
    description = (
        "Replace an exact piece of text in a file you have read in full (refused if not, or if it changed "
        "since). old_string must match exactly, indentation included, and occur once unless replace_all "
        "is true: add neighbouring lines to make it unique, or use replace_all to rename throughout. "
        "Prefer Edit to Write for existing files. An empty old_string creates a new file of new_string."
    )

    async def run(self, args: EditInput, ctx: ToolContext) -> str:
        if args.old_string == args.new_string:
            raise ToolError("Error: No changes to make: old_string and new_string are exactly the same.")
        op = EditOperation(
            old_string=args.old_string, new_string=args.new_string, replace_all=args.replace_all
        )
        return await _change(ctx, args.file_path, [op], multi=False)


class MultiEditTool(Tool[MultiEditInput]):
    name = "MultiEdit"
    input_model = MultiEditInput
    description = (
        "Make several replacements in one file in one step. Each entry of `edits` works like Edit "
        "(old_string, new_string, optional replace_all) and applies to the text left by the entries "
        "before it, so order them with that in mind. Either every edit succeeds or the file is left "
        "untouched, and the error says which edit failed. Read the whole file first. Use it instead of "
        "several Edit calls when changing many places in the same file."
    )

    async def run(self, args: MultiEditInput, ctx: ToolContext) -> str:
        total = len(args.edits)
        for i, op in enumerate(args.edits, 1):
            if op.old_string == op.new_string:
                raise ToolError(
                    f"Error: edit {i} of {total}: No changes to make: old_string and new_string are exactly "
                    "the same. No edits were applied."
                )
        return await _change(ctx, args.file_path, args.edits, multi=True)


async def _change(ctx: ToolContext, raw_path: str, ops: list[EditOperation], *, multi: bool) -> str:
    path = ctx.workspace.resolve(raw_path)
    ctx.workspace.check_writable(path)
    creating = not path.exists() and not path.is_dir()
    if creating and ops[0].old_string != "":
        raise ToolError(
            missing_file_error(path) + " To create a file, use Write, or Edit with an empty old_string."
        )
    if creating:
        doc = _NEW_DOC
    else:
        if path.is_file() and looks_binary(path, _head(path)):
            raise ToolError(f"Error: {path} is a binary file; Edit only changes text files.")
        if ops[0].old_string == "" and path.is_file() and path.stat().st_size > 0:
            raise ToolError(
                f"Error: Cannot create {path}: it already exists and is not empty. To change it, pass the "
                "text to replace as old_string (Read it first)."
            )
        data = load_for_change(path, ctx)
        assert data is not None  # the file exists: load_for_change only returns None for missing ones
        doc = decode(data, lossless=True)

    text = doc.text
    replaced = 0
    for i, op in enumerate(ops, 1):
        try:
            text, count = apply_edit(text, op.old_string, op.new_string, replace_all=op.replace_all)
            replaced += count
        except EditProblem as err:
            if not multi:
                raise ToolError(f"Error: {err}") from err
            raise ToolError(
                f"Error: edit {i} of {len(ops)} failed: {err} No edits were applied; the file is unchanged."
            ) from err
    await save(path, encode_or_fail(doc, text), ctx)

    if creating:
        return f"File created successfully at: {path}"
    head = f"The file {path} has been updated"
    if multi:
        head += f" ({len(ops)} edits applied, {replaced} replacements)."
    else:
        head += f" ({replaced} replacements)." if replaced > 1 else "."
    return f"{head}\n{change_snippet(doc.text, text)}"


def apply_edit(text: str, old: str, new: str, *, replace_all: bool) -> tuple[str, int]:
    """`text` with `old` replaced by `new`, and how many times; EditProblem unless found exactly once.

    With `replace_all`, any number of matches above zero is fine.
    """
    if old == "":
        if text:
            raise EditProblem("old_string is empty, which only works on an empty or new file.")
        return new, 1
    old = old.replace("\r\n", "\n")  # the text is held with "\n" endings, whatever the file uses
    count = text.count(old)
    if count == 0:
        raise EditProblem(_not_found(text, old))
    if count > 1 and not replace_all:
        raise EditProblem(
            f"Found {count} matches of old_string, but replace_all is false. Add more of the surrounding "
            "lines to old_string so it matches exactly one place, or set replace_all to true to change "
            "every match."
        )
    return (text.replace(old, new), count) if replace_all else (text.replace(old, new, 1), 1)


def _not_found(text: str, old: str) -> str:
    msg = "String to replace not found in file. old_string must match the file exactly."
    if _LINE_PREFIX.search(old):
        return msg + (
            " It seems to include the line-number prefixes Read adds (spaces, number, tab): leave those out."
        )
    line = _loose_match(text, old)
    if line is not None:
        return msg + (
            f" Text like it starts at line {line} but differs in whitespace or indentation; Read that part "
            "again and copy it exactly."
        )
    return msg + " Read the file again if it may have changed, and copy the text exactly."


def _loose_match(text: str, old: str) -> int | None:
    """The 1-based line where `old` occurs when each line's surrounding whitespace is ignored."""
    want = [ln.strip() for ln in old.strip("\n").split("\n")]
    if not any(want):
        return None
    have = [ln.strip() for ln in text.split("\n")]
    for i in range(len(have) - len(want) + 1):
        if have[i] == want[0] and have[i : i + len(want)] == want:
            return i + 1
    return None


def change_snippet(before: str, after: str) -> str:
    """Numbered lines of `after` around each place that differs from `before`, with a little context."""
    old_lines, new_lines = split_lines(before), split_lines(after)
    if not new_lines:
        return "The file is now empty."
    windows: list[tuple[int, int]] = []
    for j1, j2 in _changed_ranges(old_lines, new_lines):
        lo, hi = max(j1 - CONTEXT_LINES, 0), min(j2 + CONTEXT_LINES, len(new_lines))
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    if not windows:
        return "(The edits cancel out: no line differs from before.)"
    rows: list[str] = []
    budget = MAX_SNIPPET_LINES
    for lo, hi in windows:
        if rows:
            rows.append("...")
        for i in range(lo, min(hi, lo + budget)):
            rows.append(number_line(i + 1, displayable(new_lines[i])[:2000]))
        budget -= min(hi - lo, budget)
        if budget == 0:
            left = sum(h - lo2 for lo2, h in windows) - MAX_SNIPPET_LINES
            if left > 0:
                rows.append(f"[... {left} more changed or nearby lines not shown]")
            break
    return "Here are the changed lines with some context:\n" + "\n".join(rows)


def _changed_ranges(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Half-open ranges of `new` (0-based line indexes) that differ from `old`."""
    top, limit = 0, min(len(old), len(new))
    while top < limit and old[top] == new[top]:
        top += 1
    bottom = 0
    while bottom < limit - top and old[-1 - bottom] == new[-1 - bottom]:
        bottom += 1
    old_mid, new_mid = old[top : len(old) - bottom], new[top : len(new) - bottom]
    if not old_mid and not new_mid:
        return []
    if len(old_mid) + len(new_mid) > _DIFF_LIMIT:  # too big to diff cheaply: one region
        return [(top, len(new) - bottom)]
    matcher = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    return [(top + j1, top + j2) for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8192)
    except OSError:
        return b""
