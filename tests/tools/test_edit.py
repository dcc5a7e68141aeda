"""Edit and MultiEdit: exact replacement, the order of errors, line endings, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.tools.base import ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.edit import EditTool, MultiEditTool
from shopfloor.tools.read import ReadTool
from tests.toolcall import call

pytestmark = pytest.mark.anyio

edit = EditTool()
multi = MultiEditTool()
read = ReadTool()

SOURCE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


async def read_first(ctx: ToolContext, path: Path) -> None:
    res = await call(read, ctx, file_path=str(path))
    assert not res.is_error, res.content


async def edit_file(ctx: ToolContext, path: Path, old: str, new: str, **extra: object) -> ToolResult:
    return await call(edit, ctx, file_path=str(path), old_string=old, new_string=new, **extra)


@pytest.fixture
def module(workspace_dir: Path) -> Path:
    f = workspace_dir / "calc.py"
    f.write_text(SOURCE)
    return f


async def test_replaces_once_and_shows_numbered_lines(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    res = await edit_file(tool_ctx, module, "return a - b", "return a - b  # difference")
    assert not res.is_error, res.content
    assert module.read_text() == SOURCE.replace("return a - b", "return a - b  # difference")
    first, *rest = res.content.split("\n")
    assert first == f"The file {module} has been updated."
    assert "     6\t    return a - b  # difference" in rest
    assert "     3\t" in rest  # context above the change
    assert "     1\tdef add(a, b):" not in rest  # but not the whole file


async def test_consecutive_edits_need_no_new_read(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    assert not (await edit_file(tool_ctx, module, "def add", "def plus")).is_error
    assert not (await edit_file(tool_ctx, module, "def sub", "def minus")).is_error
    assert "def plus" in module.read_text() and "def minus" in module.read_text()


async def test_identical_strings_come_first(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    res = await edit_file(tool_ctx, workspace_dir / "missing.py", "same", "same")
    assert res.is_error and "exactly the same" in res.content


async def test_missing_file_comes_before_read_state(tool_ctx: ToolContext, module: Path) -> None:
    res = await edit_file(tool_ctx, module.with_name("calk.py"), "a", "b")
    assert res.is_error
    assert "does not exist" in res.content and f"Did you mean {module}?" in res.content


async def test_edit_without_read_is_refused(tool_ctx: ToolContext, module: Path) -> None:
    res = await edit_file(tool_ctx, module, "text that is not there", "x")
    assert res.is_error and "has not been read yet" in res.content
    assert module.read_text() == SOURCE


async def test_edit_after_outside_change_is_refused(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    module.write_text(SOURCE + "# added by a formatter\n")
    res = await edit_file(tool_ctx, module, "def add", "def plus")
    assert res.is_error and "changed on disk" in res.content
    assert module.read_text() == SOURCE + "# added by a formatter\n"
    await read_first(tool_ctx, module)
    assert not (await edit_file(tool_ctx, module, "def add", "def plus")).is_error


async def test_not_found(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    res = await edit_file(tool_ctx, module, "def mul(a, b):", "x")
    assert res.is_error and "not found" in res.content
    res = await edit_file(tool_ctx, module, "     1\tdef add(a, b):", "def plus(a, b):")
    assert res.is_error and "line-number prefix" in res.content
    res = await edit_file(tool_ctx, module, "def sub(a, b):\n  return a - b", "x")
    assert res.is_error and "line 5" in res.content and "whitespace" in res.content
    assert module.read_text() == SOURCE


async def test_several_matches_need_replace_all(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    res = await edit_file(tool_ctx, module, "(a, b)", "(x, y)")
    assert res.is_error
    assert "Found 2 matches" in res.content and "replace_all" in res.content
    assert module.read_text() == SOURCE
    res = await edit_file(tool_ctx, module, "(a, b)", "(x, y)", replace_all="true")
    assert not res.is_error
    assert res.content.startswith(f"The file {module} has been updated (2 replacements).")
    assert module.read_text().count("(x, y)") == 2 and "(a, b)" not in module.read_text()


async def test_empty_old_string_creates_a_missing_file(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "new" / "mod.py"
    res = await edit_file(tool_ctx, target, "", "x = 1\n")
    assert not res.is_error
    assert res.content == f"File created successfully at: {target}"
    assert target.read_text() == "x = 1\n"
    assert not (await edit_file(tool_ctx, target, "x = 1", "x = 2")).is_error
    assert target.read_text() == "x = 2\n"


async def test_empty_old_string_on_a_non_empty_file_is_an_error(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    res = await edit_file(tool_ctx, module, "", "overwrite\n")
    assert res.is_error and "already exists" in res.content
    assert module.read_text() == SOURCE


async def test_empty_old_string_fills_an_empty_file_once_read(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    target = workspace_dir / "empty.txt"
    target.write_text("")
    assert (await edit_file(tool_ctx, target, "", "hello\n")).is_error
    await read_first(tool_ctx, target)
    assert not (await edit_file(tool_ctx, target, "", "hello\n")).is_error
    assert target.read_text() == "hello\n"


async def test_crlf_round_trip(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "win.ini"
    target.write_bytes(b"[a]\r\nkey=1\r\nother=2\r\n")
    await read_first(tool_ctx, target)
    res = await edit_file(tool_ctx, target, "key=1\nother=2", "key=10\nother=20\nthird=30")
    assert not res.is_error, res.content
    assert target.read_bytes() == b"[a]\r\nkey=10\r\nother=20\r\nthird=30\r\n"
    # old_string sent with CRLF matches too.
    res = await edit_file(tool_ctx, target, "[a]\r\nkey=10", "[b]\r\nkey=11")
    assert not res.is_error, res.content
    assert target.read_bytes() == b"[b]\r\nkey=11\r\nother=20\r\nthird=30\r\n"


async def test_non_utf8_bytes_outside_the_edit_survive(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "legacy.txt"
    target.write_bytes(b"caf\xe9\nversion = 1\n")
    await read_first(tool_ctx, target)
    res = await edit_file(tool_ctx, target, "version = 1", "version = 2")
    assert not res.is_error, res.content
    assert target.read_bytes() == b"caf\xe9\nversion = 2\n"


async def test_binary_file_is_refused(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    target = workspace_dir / "blob.bin"
    target.write_bytes(b"abc\x00def")
    res = await edit_file(tool_ctx, target, "abc", "xyz")
    assert res.is_error and "binary" in res.content
    assert target.read_bytes() == b"abc\x00def"


async def test_edit_through_a_link_outside_is_refused(
    tool_ctx: ToolContext, workspace_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.py"
    victim.write_text("token = 'keep'\n")
    before = victim.stat().st_mtime_ns
    (workspace_dir / "link.py").symlink_to(victim)
    (workspace_dir / "linkdir").symlink_to(outside)
    for raw in (workspace_dir / "link.py", workspace_dir / "linkdir" / "victim.py", victim):
        res = await edit_file(tool_ctx, raw, "keep", "gone")
        assert res.is_error and "outside the workspace" in res.content
    res = await edit_file(tool_ctx, workspace_dir / "linkdir" / "new.py", "", "planted\n")
    assert res.is_error
    res = await call(multi, tool_ctx, file_path=str(workspace_dir / "link.py"), edits=[_op("keep", "x")])
    assert res.is_error and "outside the workspace" in res.content
    assert victim.read_text() == "token = 'keep'\n"
    assert victim.stat().st_mtime_ns == before
    assert [p.name for p in outside.iterdir()] == ["victim.py"]


async def test_missing_and_unknown_parameters_are_named(tool_ctx: ToolContext, module: Path) -> None:
    res = await call(edit, tool_ctx, file_path=str(module), old_string="a")
    assert res.is_error and "`new_string`" in res.content
    res = await call(edit, tool_ctx, file_path=str(module), old_string="a", new_string="b", regex=True)
    assert res.is_error and "`regex`" in res.content


def _op(old: str, new: str, replace_all: bool = False) -> dict[str, object]:
    return {"old_string": old, "new_string": new, "replace_all": replace_all}


async def test_multiedit_applies_in_order(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    edits = [_op("def add", "def plus"), _op("def plus(a, b)", "def plus(x, y)"), _op("a", "A", True)]
    res = await call(multi, tool_ctx, file_path=str(module), edits=edits)
    assert not res.is_error, res.content
    assert res.content.startswith(f"The file {module} has been updated (3 edits applied, 5 replacements).")
    text = module.read_text()
    assert text.startswith("def plus(x, y):\n    return A + b\n")
    assert "def sub(A, b)" in text


async def test_multiedit_is_all_or_nothing(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    edits = [_op("def add", "def plus"), _op("def mul", "def times")]
    res = await call(multi, tool_ctx, file_path=str(module), edits=edits)
    assert res.is_error
    assert "edit 2 of 2" in res.content and "not found" in res.content
    assert module.read_text() == SOURCE
    res = await call(multi, tool_ctx, file_path=str(module), edits=[_op("x", "y"), _op("same", "same")])
    assert res.is_error and "edit 2 of 2" in res.content and "exactly the same" in res.content


async def test_multiedit_accepts_edits_sent_as_json_text(tool_ctx: ToolContext, module: Path) -> None:
    await read_first(tool_ctx, module)
    res = await call(multi, tool_ctx, file_path=str(module), edits=json.dumps([_op("def sub", "def minus")]))
    assert not res.is_error, res.content
    assert "def minus" in module.read_text()


async def test_multiedit_creates_a_file_from_an_empty_first_edit(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    target = workspace_dir / "fresh.txt"
    res = await call(multi, tool_ctx, file_path=str(target), edits=[_op("", "a b a\n"), _op("a", "c", True)])
    assert not res.is_error, res.content
    assert target.read_text() == "c b c\n"


async def test_multiedit_checks_its_input(tool_ctx: ToolContext, module: Path) -> None:
    res = await call(multi, tool_ctx, file_path=str(module), edits=[])
    assert res.is_error and "`edits`" in res.content
    res = await call(multi, tool_ctx, file_path=str(module), edits=[{"old_string": "a"}])
    assert res.is_error and "new_string" in res.content
    schema = MultiEditTool.input_schema()
    assert "$defs" not in json.dumps(schema) and "$ref" not in json.dumps(schema)
    item = schema["properties"]["edits"]["items"]
    assert set(item["required"]) == {"old_string", "new_string"}


async def test_snippet_shows_each_changed_place_not_the_span_between(
    tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    target = workspace_dir / "long.txt"
    target.write_text("".join(f"row {i:03}\n" for i in range(1, 101)))
    await read_first(tool_ctx, target)
    res = await call(
        multi, tool_ctx, file_path=str(target), edits=[_op("row 005", "five"), _op("row 090", "ninety")]
    )
    assert not res.is_error, res.content
    lines = res.content.split("\n")
    assert "     5\tfive" in lines and "    90\tninety" in lines and "..." in lines
    assert "    50\trow 050" not in lines
    res = await edit_file(tool_ctx, target, "row", "ROW", replace_all=True)
    assert not res.is_error
    assert "more changed or nearby lines not shown" in res.content
    assert len(res.content.split("\n")) < 50
