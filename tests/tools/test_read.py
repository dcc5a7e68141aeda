"""Read as a model sees it: numbered lines, windows, notices and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.tools.base import ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.read import MAX_LINE_CHARS, MAX_OUTPUT_CHARS, ReadTool
from tests.toolcall import call

pytestmark = pytest.mark.anyio

read = ReadTool()


async def read_file(ctx: ToolContext, path: Path | str, **extra: object) -> ToolResult:
    return await call(read, ctx, file_path=str(path), **extra)


async def test_lines_are_numbered_width_six_then_tab(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    f = workspace_dir / "app.py"
    f.write_text("import os\n\n@route('/')\ndef index():\n    return 1\n")
    res = await read_file(tool_ctx, f)
    assert not res.is_error
    assert res.content == (
        "     1\timport os\n     2\t\n     3\t@route('/')\n     4\tdef index():\n     5\t    return 1"
    )
    stamp = tool_ctx.read_state.get(f)
    assert stamp is not None and stamp.full


async def test_relative_path_reads_from_the_workspace_root(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    (workspace_dir / "notes.txt").write_text("hello")
    res = await read_file(tool_ctx, "notes.txt")
    assert res.content == "     1\thello"


async def test_offset_and_limit_given_as_strings(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    f = workspace_dir / "ten.txt"
    f.write_text("".join(f"line {i}\n" for i in range(1, 11)))
    res = await read_file(tool_ctx, f, offset="5", limit="2")
    assert not res.is_error
    body, note = res.content.split("\n\n")
    assert body == "     5\tline 5\n     6\tline 6"
    assert "Showing lines 5-6 of 10" in note
    assert "offset=7" in note
    stamp = tool_ctx.read_state.get(f)
    assert stamp is not None and not stamp.full


async def test_window_covering_the_whole_file_counts_as_full(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    f = workspace_dir / "three.txt"
    f.write_text("a\nb\nc\n")
    res = await read_file(tool_ctx, f, offset=1, limit=50)
    assert res.content == "     1\ta\n     2\tb\n     3\tc"
    stamp = tool_ctx.read_state.get(f)
    assert stamp is not None and stamp.full


async def test_long_file_is_cut_at_2000_lines_with_a_way_to_continue(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    f = workspace_dir / "long.txt"
    f.write_text("".join(f"{i}\n" for i in range(1, 2501)))
    res = await read_file(tool_ctx, f)
    lines = res.content.split("\n")
    assert lines[0] == "     1\t1"
    assert lines[1999] == "  2000\t2000"
    assert "  2001\t2001" not in res.content
    assert "Showing lines 1-2000 of 2500" in res.content
    assert "offset=2001" in res.content
    rest = await read_file(tool_ctx, f, offset=2001)
    assert rest.content.startswith("  2001\t2001\n")
    assert "  2500\t2500" in rest.content
    assert "Showing lines 2001-2500 of 2500" in rest.content
    assert "offset=2501" not in rest.content
    # The first call asked for the whole file; reading on must not take the right to edit away.
    stamp = tool_ctx.read_state.get(f)
    assert stamp is not None and stamp.full


async def test_long_lines_are_cut(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    f = workspace_dir / "wide.txt"
    f.write_text("x" * (MAX_LINE_CHARS + 500) + "\nshort\n")
    res = await read_file(tool_ctx, f)
    first = res.content.split("\n")[0]
    assert first.startswith("     1\t" + "x" * MAX_LINE_CHARS)
    assert "x" * (MAX_LINE_CHARS + 1) not in res.content
    assert "500 more characters cut" in first
    assert "     2\tshort" in res.content


async def test_empty_file_gives_a_notice(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    f = workspace_dir / "empty.txt"
    f.write_bytes(b"")
    res = await read_file(tool_ctx, f)
    assert not res.is_error
    assert "exists but is empty" in res.content


async def test_offset_past_the_end_gives_the_real_line_count(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    f = workspace_dir / "short.txt"
    f.write_text("a\nb\nc\n")
    res = await read_file(tool_ctx, f, offset=40)
    assert not res.is_error
    assert "has 3 lines" in res.content and "offset 40" in res.content


async def test_missing_file_suggests_a_close_name(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "config.yaml").write_text("a: 1\n")
    res = await read_file(tool_ctx, workspace_dir / "config.yml")
    assert res.is_error
    assert "does not exist" in res.content
    assert f"Did you mean {workspace_dir / 'config.yaml'}?" in res.content
    res = await read_file(tool_ctx, workspace_dir / "zzzzqqq.md")
    assert res.is_error and "Did you mean" not in res.content


async def test_directory_is_an_error_that_points_to_glob_and_ls(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    (workspace_dir / "src").mkdir()
    res = await read_file(tool_ctx, workspace_dir / "src")
    assert res.is_error
    assert "directory" in res.content and "Glob" in res.content and "ls" in res.content


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("blob.dat", b"head\x00\x01\x02tail"),
        ("image.png", b"\x89PNG but no NUL in the first bytes"),
        ("app.sqlite", b"plain looking text"),
        ("mod.pyc", b"plain looking text"),
    ],
)
async def test_binary_files_are_refused(
    tool_ctx: ToolContext, workspace_dir: Path, name: str, data: bytes
) -> None:
    (workspace_dir / name).write_bytes(data)
    res = await read_file(tool_ctx, workspace_dir / name)
    assert res.is_error
    assert "binary" in res.content


async def test_crlf_reads_as_plain_lines(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    f = workspace_dir / "win.txt"
    f.write_bytes(b"first\r\nsecond\r\n")
    res = await read_file(tool_ctx, f)
    assert res.content == "     1\tfirst\n     2\tsecond"
    assert "\r" not in res.content


async def test_non_utf8_is_shown_with_replacement_characters(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    f = workspace_dir / "latin1.txt"
    f.write_bytes("café\nnaïve\n".encode("latin-1"))
    res = await read_file(tool_ctx, f)
    assert not res.is_error
    assert res.content == "     1\tcaf\ufffd\n     2\tna\ufffdve"


async def test_utf8_bom_and_utf16_are_decoded(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "bom.txt").write_bytes("\ufeffhello\n".encode())
    (workspace_dir / "u16.txt").write_bytes("\ufeffwide text\n".encode("utf-16-le"))
    assert (await read_file(tool_ctx, workspace_dir / "bom.txt")).content == "     1\thello"
    assert (await read_file(tool_ctx, workspace_dir / "u16.txt")).content == "     1\twide text"


async def test_paths_outside_the_workspace_are_refused(tool_ctx: ToolContext, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    ws = tool_ctx.workspace.root
    (ws / "link.txt").symlink_to(outside / "secret.txt")
    (ws / "linkdir").symlink_to(outside)
    for raw in (
        str(outside / "secret.txt"),
        "../outside/secret.txt",
        str(ws / "link.txt"),
        str(ws / "linkdir" / "secret.txt"),
    ):
        res = await read_file(tool_ctx, raw)
        assert res.is_error, raw
        assert "outside the workspace" in res.content
        assert "TOP SECRET" not in res.content


async def test_secret_store_is_refused(
    tool_ctx: ToolContext, workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace_dir / ".ssh").mkdir()
    (workspace_dir / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    monkeypatch.setenv("HOME", str(workspace_dir))
    res = await read_file(tool_ctx, "~/.ssh/id_ed25519")
    assert res.is_error
    assert "credentials" in res.content and "PRIVATE KEY" not in res.content


async def test_missing_and_unknown_parameters_are_named(tool_ctx: ToolContext) -> None:
    res = await call(read, tool_ctx)
    assert res.is_error and "`file_path`" in res.content
    res = await call(read, tool_ctx, file_path="x.txt", path="x.txt")
    assert res.is_error and "`path`" in res.content
    res = await call(read, tool_ctx, file_path="x.txt", offset="five")
    assert res.is_error and "`offset`" in res.content


def test_schema_forbids_extra_keys() -> None:
    schema = ReadTool.input_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["file_path"]
    assert set(schema["properties"]) == {"file_path", "offset", "limit"}
    assert ReadTool.read_only


async def test_very_wide_window_stops_early_and_says_where_to_go_on(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    f = workspace_dir / "wide.csv"
    f.write_text("".join(f"{i:04}," + "v" * 1900 + "\n" for i in range(1, 201)))
    res = await read_file(tool_ctx, f)
    shown = [ln for ln in res.content.split("\n") if "\t" in ln]
    assert 1 < len(shown) < 200
    last = len(shown)
    assert f"Showing lines 1-{last} of 200" in res.content
    assert f"offset={last + 1}" in res.content
    assert len(res.content) < MAX_OUTPUT_CHARS + 1000
