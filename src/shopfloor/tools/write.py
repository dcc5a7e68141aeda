"""Write: create a file, or replace one the agent has read, atomically."""

from __future__ import annotations

from pathlib import Path

import anyio
from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.beneath import Swapped, read_bytes, write_atomic
from shopfloor.tools.context import ToolContext
from shopfloor.tools.textfiles import TextDoc, decode, looks_binary


class WriteInput(ToolInput):
    file_path: str = Field(description="Absolute path of the file to create or overwrite.")
    content: str = Field(description="The complete new content of the file.")


class WriteTool(Tool[WriteInput]):
    name = "Write"
    input_model = WriteInput
    description = (
        "Create a file or replace all of it (missing folders are made), given an absolute path and the "
        "complete content. An existing file must have been read in full with Read, unchanged since. To "
        "change part of a file use Edit, which cannot drop the rest by accident. Create files only when "
        "the task needs them: no documentation or README nobody asked for."
    )

    async def run(self, args: WriteInput, ctx: ToolContext) -> str:
        path = ctx.workspace.resolve(args.file_path)
        ctx.workspace.check_writable(path)
        existing = load_for_change(path, ctx)
        if existing is None:
            data = encode_or_fail(TextDoc("", False, b"", "utf-8", "strict"), args.content)
        else:
            data = encode_or_fail(_keep_style(decode(existing)), args.content)
        await save(path, data, ctx)
        if existing is None:
            return f"File created successfully at: {path}"
        return f"The file {path} has been updated."


def load_for_change(path: Path, ctx: ToolContext) -> bytes | None:
    """The current bytes of `path` after the read-state check, or None when it does not exist yet."""
    if path.is_dir():
        raise ToolError(f"Error: {path} is a directory; give the path of a file.")
    base = ctx.workspace.base_of(path)
    try:
        data = read_bytes(base, path.relative_to(base))
    except FileNotFoundError:
        return None
    except Swapped as err:
        raise ToolError(f"Error: {path} is not a regular file, so it cannot be changed.") from err
    except OSError as err:
        raise ToolError(f"Error: cannot read {path}: {err.strerror or err}") from err
    if ctx.read_state.get(path) is None and looks_binary(path, data):
        # Read refuses binary files, so "read it first" would send the model round in circles.
        raise ToolError(
            f"Error: {path} is an existing binary file, which cannot be read and so cannot be replaced "
            "here. If replacing it is really intended, delete it with Bash first, then write the new file."
        )
    ctx.read_state.check_fresh(path, data)
    return data


def encode_or_fail(doc: TextDoc, text: str) -> bytes:
    try:
        return doc.encode(text)
    except UnicodeEncodeError as err:
        raise ToolError(
            f"Error: the text contains a character that cannot be stored ({err.reason}); remove it and retry."
        ) from err


async def save(path: Path, data: bytes, ctx: ToolContext) -> None:
    """Write atomically, then record the new bytes as read so the next change needs no re-read.

    The write (with its fsyncs) runs in a worker thread, so other agents' turns go on meanwhile.
    """
    base = ctx.workspace.base_of(path)
    try:
        await anyio.to_thread.run_sync(write_atomic, base, path.relative_to(base), data)
    except Swapped as err:
        raise ToolError(
            f"Error: cannot write {path}: a folder on its path (or the file) is a link or not a plain "
            "file any more, so nothing was written. Check the path, then retry."
        ) from err
    except OSError as err:
        raise ToolError(f"Error: cannot write {path}: {err.strerror or err}") from err
    ctx.read_state.record(path, data, full=True)


def _keep_style(old: TextDoc) -> TextDoc:
    # Read hides line endings and the BOM, so content written back after a Read arrives with "\n"
    # and no BOM; keeping the file's own style avoids a diff that touches every line. Content that
    # already carries "\r\n" is written as given (TextDoc.encode does not double it).
    return TextDoc("", old.crlf, old.bom if old.encoding == "utf-8" else b"", "utf-8", "strict")
