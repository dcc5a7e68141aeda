"""Write: creating files, overwriting read files, atomicity and confinement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shopfloor.tools.context import ToolContext
from shopfloor.tools.read import ReadTool
from shopfloor.tools.write import WriteTool
from tests.toolcall import call

pytestmark = pytest.mark.anyio

write = WriteTool()
read = ReadTool()


async def test_creates_a_file_and_missing_folders(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "pkg" / "sub" / "mod.py"
    res = await call(write, tool_ctx, file_path=str(target), content="x = 1\n")
    assert not res.is_error
    assert res.content == f"File created successfully at: {target}"
    assert target.read_text() == "x = 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    assert [p.name for p in target.parent.iterdir()] == ["mod.py"]  # no temp file left behind


async def test_overwrite_needs_a_full_read_first(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "notes.md"
    target.write_text("old\n")
    res = await call(write, tool_ctx, file_path=str(target), content="new\n")
    assert res.is_error and "has not been read yet" in res.content
    assert target.read_text() == "old\n"

    await call(read, tool_ctx, file_path=str(target))
    res = await call(write, tool_ctx, file_path=str(target), content="new\n")
    assert not res.is_error
    assert res.content == f"The file {target} has been updated."
    assert target.read_text() == "new\n"

    # The write refreshed the read-state: a second write needs no new Read.
    res = await call(write, tool_ctx, file_path=str(target), content="newer\n")
    assert not res.is_error and target.read_text() == "newer\n"


async def test_overwrite_after_partial_read_is_refused(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "big.txt"
    target.write_text("".join(f"{i}\n" for i in range(50)))
    await call(read, tool_ctx, file_path=str(target), offset=10, limit=5)
    res = await call(write, tool_ctx, file_path=str(target), content="x\n")
    assert res.is_error and "only part" in res.content
    assert target.read_text().startswith("0\n1\n")


async def test_overwrite_after_an_outside_change_is_refused(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    target = workspace_dir / "conf.ini"
    target.write_text("a=1\n")
    await call(read, tool_ctx, file_path=str(target))
    target.write_text("a=2\n")  # a formatter or a person changed it
    res = await call(write, tool_ctx, file_path=str(target), content="a=3\n")
    assert res.is_error and "changed on disk" in res.content
    assert target.read_text() == "a=2\n"


async def test_keeps_the_file_mode(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    script = workspace_dir / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o750)
    await call(read, tool_ctx, file_path=str(script))
    res = await call(write, tool_ctx, file_path=str(script), content="#!/bin/sh\necho bye\n")
    assert not res.is_error
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert script.read_text() == "#!/bin/sh\necho bye\n"


async def test_replaces_the_file_rather_than_writing_into_it(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    # A rename swaps in a whole new file: a reader holding the old one never sees half a write.
    target = workspace_dir / "data.txt"
    target.write_text("before\n")
    await call(read, tool_ctx, file_path=str(target))
    with target.open() as held:
        res = await call(write, tool_ctx, file_path=str(target), content="after\n")
        assert not res.is_error
        assert held.read() == "before\n"
    assert target.read_text() == "after\n"


async def test_keeps_crlf_line_endings_of_an_existing_file(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    target = workspace_dir / "win.txt"
    target.write_bytes(b"one\r\ntwo\r\n")
    await call(read, tool_ctx, file_path=str(target))
    res = await call(write, tool_ctx, file_path=str(target), content="one\ntwo\nthree\n")
    assert not res.is_error
    assert target.read_bytes() == b"one\r\ntwo\r\nthree\r\n"


async def test_writing_onto_a_directory_is_an_error(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "src").mkdir()
    res = await call(write, tool_ctx, file_path=str(workspace_dir / "src"), content="x")
    assert res.is_error and "directory" in res.content


async def test_links_leading_outside_are_refused_and_nothing_outside_changes(
    tool_ctx: ToolContext, workspace_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("untouched\n")
    before = victim.stat().st_mtime_ns
    (workspace_dir / "link.txt").symlink_to(victim)
    (workspace_dir / "linkdir").symlink_to(outside)
    (workspace_dir / "dangling.txt").symlink_to(outside / "planted.txt")
    targets = [
        str(victim),
        "../outside/victim.txt",
        str(workspace_dir / "link.txt"),
        str(workspace_dir / "linkdir" / "victim.txt"),
        str(workspace_dir / "linkdir" / "new.txt"),
        str(workspace_dir / "dangling.txt"),
    ]
    for raw in targets:
        res = await call(write, tool_ctx, file_path=raw, content="pwned\n")
        assert res.is_error, raw
        assert "outside the workspace" in res.content
    assert victim.read_text() == "untouched\n"
    assert victim.stat().st_mtime_ns == before
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


async def test_missing_parameter_is_named(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    res = await call(write, tool_ctx, file_path=str(workspace_dir / "a.txt"))
    assert res.is_error and "`content`" in res.content
    assert not (workspace_dir / "a.txt").exists()
    res = await call(write, tool_ctx, file_path="a.txt", content="x", mode="w")
    assert res.is_error and "`mode`" in res.content


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old


async def test_existing_binary_file_is_not_replaced(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    logo = workspace_dir / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    res = await call(write, tool_ctx, file_path=str(logo), content="text")
    assert res.is_error and "binary" in res.content
    assert logo.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\x00"
