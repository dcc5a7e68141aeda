"""Grep through the toolset, on real files, with ripgrep and with the Python engine: same answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shopfloor.tools.context import ToolContext
from shopfloor.tools.grep import GrepTool
from tests.toolcall import call
from tests.tools.grep_tree import ENGINES, both, grep, make_tree

pytestmark = pytest.mark.anyio

APP = "import os\n\ndef load(path):\n    return open(path).read()\n\n\ndef Save(path, data):\n    pass\n"
UTIL = "export function load(url) {\n  return fetch(url)\n}\n// TODO: cache\n"


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    (workspace_dir / ".git").mkdir()
    make_tree(
        workspace_dir,
        {
            "src/app.py": APP,
            "src/util.js": UTIL,
            "src/types.ts": "export type Loader = (load: boolean) => void\n",
            "docs/guide.md": "# Guide\nCall load() first.\n",
            ".hidden/secret.py": "def load_secret():\n    return 1\n",
            "build/out.py": "def load():\n    pass\n",
            "debug.log": "load failed\n",
            "image.png": b"\x89PNG\x00\x00def load\n",
            ".git/config": "[core]\n\tload = yes\n",
            ".gitignore": "build/\n*.log\n",
        },
    )
    return workspace_dir


@pytest.mark.parametrize("engine", ENGINES)
async def test_each_engine_lists_files_newest_first(tool_ctx: ToolContext, ws: Path, engine: str) -> None:
    out = await grep(tool_ctx, engine, pattern="load")
    assert not out.is_error
    assert out.content == "\n".join(
        [
            "Found 5 files",
            f"{ws}/src/app.py",
            f"{ws}/src/util.js",
            f"{ws}/src/types.ts",
            f"{ws}/docs/guide.md",
            f"{ws}/.hidden/secret.py",
        ]
    )


async def test_gitignored_git_and_binary_files_are_skipped_hidden_ones_searched(
    tool_ctx: ToolContext, ws: Path
) -> None:
    out = (await both(tool_ctx, pattern="load")).content
    assert f"{ws}/.hidden/secret.py" in out
    for skipped in ("build/out.py", "debug.log", "image.png", ".git/config"):
        assert skipped not in out


async def test_content_mode_shows_numbered_lines(tool_ctx: ToolContext, ws: Path) -> None:
    out = await both(tool_ctx, pattern=r"def \w+", output_mode="content", path="src")
    assert out.content == f"{ws}/src/app.py:3:def load(path):\n{ws}/src/app.py:7:def Save(path, data):"


async def test_content_mode_without_line_numbers(tool_ctx: ToolContext, ws: Path) -> None:
    out = await both(tool_ctx, pattern="TODO", output_mode="content", **{"-n": False})
    assert out.content == f"{ws}/src/util.js:// TODO: cache"


async def test_count_mode_goes_by_path_totals_and_names_a_single_file(
    tool_ctx: ToolContext, ws: Path
) -> None:
    out = await both(tool_ctx, pattern="load|Load", output_mode="count", glob="*.{py,ts}")
    assert out.content == "\n".join(
        [
            f"{ws}/.hidden/secret.py:1",
            f"{ws}/src/app.py:1",
            f"{ws}/src/types.ts:1",
            "",
            "Found 3 total occurrences across 3 files.",
        ]
    )
    single = await both(tool_ctx, pattern="path", output_mode="count", path=str(ws / "src/app.py"))
    assert single.content == f"{ws}/src/app.py:3\n\nFound 3 total occurrences across 1 file."


async def test_ignore_case(tool_ctx: ToolContext, ws: Path) -> None:
    plain = await both(tool_ctx, pattern="def save", output_mode="content")
    assert plain.content == "No matches found"
    folded = await both(tool_ctx, pattern="def save", output_mode="content", **{"-i": True})
    assert folded.content == f"{ws}/src/app.py:7:def Save(path, data):"


async def test_context_lines_use_dashes_and_group_separators_files_by_path(
    tool_ctx: ToolContext, ws: Path
) -> None:
    out = await both(tool_ctx, pattern="^def", output_mode="content", path="src/app.py", **{"-A": 1})
    assert out.content == "\n".join(
        [
            f"{ws}/src/app.py:3:def load(path):",
            f"{ws}/src/app.py-4-    return open(path).read()",
            "--",
            f"{ws}/src/app.py:7:def Save(path, data):",
            f"{ws}/src/app.py-8-    pass",
        ]
    )
    before = await both(tool_ctx, pattern="Save", output_mode="content", path="src", **{"-B": 2})
    assert before.content.splitlines()[0] == f"{ws}/src/app.py-5-"
    around = await both(tool_ctx, pattern="TODO|Load", output_mode="content", **{"-C": 1})
    assert around.content == "\n".join(
        [
            f"{ws}/src/types.ts:1:export type Loader = (load: boolean) => void",
            "--",
            f"{ws}/src/util.js-3-}}",
            f"{ws}/src/util.js:4:// TODO: cache",
        ]
    )


async def test_multiline_matches_across_lines(tool_ctx: ToolContext, ws: Path) -> None:
    single = await both(tool_ctx, pattern=r"load\(path\):.*read", output_mode="content")
    assert single.content == "No matches found"
    out = await both(tool_ctx, pattern=r"load\(path\):.*?read", output_mode="content", multiline=True)
    assert out.content == f"{ws}/src/app.py:3:def load(path):\n{ws}/src/app.py:4:    return open(path).read()"


async def test_newline_in_pattern_needs_multiline(tool_ctx: ToolContext, ws: Path) -> None:
    out = await both(tool_ctx, pattern=r"os\n")
    assert out.is_error and "multiline: true" in out.content
    counted = await both(tool_ctx, pattern=r"os\n\ndef", output_mode="count", multiline=True)
    assert counted.content.splitlines()[0] == f"{ws}/src/app.py:1"


async def test_glob_and_type_filters(tool_ctx: ToolContext, ws: Path) -> None:
    by_glob = await both(tool_ctx, pattern="load", glob="*.js")
    assert by_glob.content == f"Found 1 file\n{ws}/src/util.js"
    several = await both(tool_ctx, pattern="load", glob="*.js, *.md")
    assert several.content == f"Found 2 files\n{ws}/src/util.js\n{ws}/docs/guide.md"
    by_path_glob = await both(tool_ctx, pattern="load", glob="src/**/*.ts", path=str(ws))
    assert by_path_glob.content == f"Found 1 file\n{ws}/src/types.ts"
    by_type = await both(tool_ctx, pattern="load", type="py")
    assert by_type.content == f"Found 2 files\n{ws}/src/app.py\n{ws}/.hidden/secret.py"
    md = await both(tool_ctx, pattern="load", type="markdown")
    assert md.content == f"Found 1 file\n{ws}/docs/guide.md"
    unknown = await both(tool_ctx, pattern="load", type="cobol")
    assert unknown.is_error and "unknown file type `cobol`" in unknown.content and "py" in unknown.content


async def test_head_limit_and_offset_page_through_entries(tool_ctx: ToolContext, ws: Path) -> None:
    first = await both(tool_ctx, pattern="load", head_limit=2)
    assert first.content == "\n".join(
        [
            "Found 5 files",
            f"{ws}/src/app.py",
            f"{ws}/src/util.js",
            "",
            "[Showing files 1-2 of 5. Use offset=2 to see more.]",
        ]
    )
    last = await both(tool_ctx, pattern="load", head_limit="2", offset="4")
    assert last.content == f"Found 5 files\n{ws}/.hidden/secret.py\n\n[Showing files 5-5 of 5.]"
    past = await both(tool_ctx, pattern="load", offset=9)
    assert past.content == "Found 5 files\n[offset=9 is past the end: there are only 5 files.]"
    lines = await both(
        tool_ctx, pattern="a", output_mode="content", path="src/app.py", head_limit=1, offset=1
    )
    assert lines.content.splitlines()[0] == f"{ws}/src/app.py:4:    return open(path).read()"
    assert lines.content.endswith("Use offset=2 to see more.]")
    counts = await both(tool_ctx, pattern="load", output_mode="count", head_limit=1)
    assert counts.content.splitlines()[-1] == "[Showing files 1-1 of 5. Use offset=1 to see more.]"
    unlimited = await both(tool_ctx, pattern="load", head_limit=0)
    assert "Showing" not in unlimited.content


async def test_bad_regex_is_an_error_not_an_empty_result(tool_ctx: ToolContext, ws: Path) -> None:
    out = await both(tool_ctx, pattern="load(")
    assert out.is_error
    assert out.content == "\n".join(
        [
            "Error: the pattern is not a valid regex.",
            "regex parse error:",
            "    load(",
            "        ^",
            "error: unclosed group",
        ]
    )
    for bad, reason in [
        ("[ab", "unclosed character class"),
        ("*x", "repetition operator missing expression"),
        ("a)", "unopened group"),
        ("(?=x)", "look-around"),
        (r"(a)\1", "backreferences are not supported"),
        (r"say \"hi\"", "unrecognized escape sequence"),
        (r"end\Z", "unrecognized escape sequence"),
    ]:
        res = await both(tool_ctx, pattern=bad)
        assert res.is_error and reason in res.content, bad


async def test_escaped_bar_is_retried_as_alternation(tool_ctx: ToolContext, ws: Path) -> None:
    out = await both(tool_ctx, pattern=r"TODO\|Guide", output_mode="content")
    assert out.content == "\n".join(
        [
            "Note: `\\|` is a literal bar in this regex syntax; searched for `TODO|Guide` instead.",
            f"{ws}/docs/guide.md:1:# Guide",
            f"{ws}/src/util.js:4:// TODO: cache",
        ]
    )
    (ws / "bars.txt").write_text("a|b\n")
    literal = await both(tool_ctx, pattern=r"a\|b")
    assert literal.content == f"Found 1 file\n{ws}/bars.txt"


async def test_single_file_path_and_binary_file(tool_ctx: ToolContext, ws: Path) -> None:
    ignored_but_named = await both(tool_ctx, pattern="load", path="build/out.py")
    assert ignored_but_named.content == f"Found 1 file\n{ws}/build/out.py"
    binary = await both(tool_ctx, pattern="load", path="image.png")
    assert binary.content.startswith("No files found\n") and "binary file" in binary.content


async def test_paths_outside_the_workspace_or_missing_are_refused(
    tool_ctx: ToolContext, ws: Path, tmp_path: Path
) -> None:
    (tmp_path / "outside.txt").write_text("load\n")
    out = await both(tool_ctx, pattern="load", path=str(tmp_path))
    assert out.is_error and "outside the workspace" in out.content
    sneaky = await both(tool_ctx, pattern="load", path="../outside.txt")
    assert sneaky.is_error and "outside the workspace" in sneaky.content
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "keys.txt").write_text("load the keys\n")
    (ws / "link").symlink_to(tmp_path / "secrets")
    (ws / "file-link.txt").symlink_to(tmp_path / "outside.txt")
    walked = await both(tool_ctx, pattern="keys|load", glob="*.txt")
    assert walked.content == "No files found"
    through_link = await both(tool_ctx, pattern="load", path="link")
    assert through_link.is_error and "outside the workspace" in through_link.content
    missing = await both(tool_ctx, pattern="load", path="nope")
    assert missing.is_error and "does not exist" in missing.content
    os.mkfifo(ws / "pipe")
    fifo = await both(tool_ctx, pattern="load", path="pipe")
    assert fifo.is_error and "not a regular file" in fifo.content


async def test_long_lines_are_cut_and_crlf_hidden(tool_ctx: ToolContext, ws: Path) -> None:
    (ws / "wide.txt").write_text("needle " + "x" * 900 + "\n")
    (ws / "huge.txt").write_text("needle " + "y" * 9000 + "\n")  # past what rg itself prints in full
    (ws / "dos.txt").write_bytes(b"needle here\r\nother\r\n")
    out = await both(tool_ctx, pattern="needle", output_mode="content")
    lines = out.content.splitlines()
    wide = next(line for line in lines if "wide.txt" in line)
    assert wide.endswith("x [... line cut at 500 characters]")
    assert len(wide) == len(f"{ws}/wide.txt:1:") + 500 + len(" [... line cut at 500 characters]")
    huge = next(line for line in lines if "huge.txt" in line)
    assert huge == f"{ws}/huge.txt:1:needle " + "y" * 493 + " [... line cut at 500 characters]"
    assert f"{ws}/dos.txt:1:needle here" in lines


async def test_utf8_bom_and_invalid_bytes(tool_ctx: ToolContext, ws: Path) -> None:
    (ws / "bom.txt").write_bytes(b"\xef\xbb\xbfneedle at start\n")
    (ws / "latin.txt").write_bytes(b"needle caf\xe9\n")
    out = await both(tool_ctx, pattern="^needle", output_mode="content")
    assert f"{ws}/bom.txt:1:needle at start" in out.content.splitlines()
    assert f"{ws}/latin.txt:1:needle caf\ufffd" in out.content.splitlines()


async def test_schema_shows_flag_names_and_inputs_coerce(tool_ctx: ToolContext, ws: Path) -> None:
    schema = GrepTool.input_schema()
    props = schema["properties"]
    for flag in ("-i", "-n", "-A", "-B", "-C", "type", "pattern", "head_limit", "offset", "multiline"):
        assert flag in props
    assert schema["required"] == ["pattern"] and schema["additionalProperties"] is False
    coerced = await both(tool_ctx, pattern="TODO", output_mode="content", **{"-C": "0", "-n": "false"})
    assert coerced.content == f"{ws}/src/util.js:// TODO: cache"
    bad = await grep(tool_ctx, "python", pattern="x", **{"-A": -1})
    assert bad.is_error and "`-A`" in bad.content
    extra = await grep(tool_ctx, "python", pattern="x", recursive=True)
    assert extra.is_error and "`recursive`" in extra.content


async def test_auto_engine_falls_back_without_ripgrep(
    tool_ctx: ToolContext, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(ws / "no-bin-here"))
    auto = GrepTool()
    assert auto.ripgrep() is None
    out = await call(auto, tool_ctx, pattern="TODO")
    assert out.content == f"Found 1 file\n{ws}/src/util.js"
    forced = await call(GrepTool(engine="rg"), tool_ctx, pattern="TODO")
    assert forced.is_error and "ripgrep (rg) is not installed" in forced.content


async def test_credential_folders_under_a_home_workspace_are_not_searched(
    tool_ctx: ToolContext, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(ws))
    make_tree(ws, {".ssh/id_rsa": "TODO private key\n", ".aws/credentials": "TODO secret\n"})
    out = await both(tool_ctx, pattern="TODO", glob="*")
    assert out.content == f"Found 1 file\n{ws}/src/util.js"
    direct = await both(tool_ctx, pattern="TODO", path=".ssh")
    assert direct.is_error and "credentials" in direct.content


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_search_past_its_time_limit_is_stopped(tool_ctx: ToolContext, ws: Path, engine: str) -> None:
    tool = GrepTool(engine="python" if engine == "python" else "rg", timeout_s=-1)
    out = await call(tool, tool_ctx, pattern="load")
    assert out.is_error and "took longer than -1s" in out.content and "Narrow it" in out.content


async def test_a_runaway_regex_without_ripgrep_is_stopped_and_never_freezes_other_agents(
    tool_ctx: ToolContext, ws: Path
) -> None:
    import anyio

    # Python's regex engine needs minutes for this line, holding the interpreter lock all the while.
    (ws / "slow.txt").write_text("a" * 30 + "b\n")
    ticks = 0

    async def another_agent() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        tg.start_soon(another_agent)
        out = await call(GrepTool(engine="python", timeout_s=1), tool_ctx, pattern="(a+)+$", path="slow.txt")
        tg.cancel_scope.cancel()
    assert out.is_error and "took longer than 1s" in out.content
    assert ticks > 1  # the event loop went on while the search ran
