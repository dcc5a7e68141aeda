"""Grep on answers far longer than its page: window and totals stay exact, and no rg is left behind."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from shopfloor.tools.context import ToolContext
from shopfloor.tools.grep import GrepTool
from tests.toolcall import call
from tests.tools.grep_tree import HAVE_RG, both, grep

pytestmark = pytest.mark.anyio

FILES = 300
LINES = 90


@pytest.fixture
def big(workspace_dir: Path) -> Path:
    """300 files of 90 lines; every third line holds `value`, so matches come in runs with gaps between."""
    for i in range(FILES):
        rows = [f"value = {i * LINES + n}" if n % 3 == 0 else f"other {n}" for n in range(LINES)]
        path = workspace_dir / f"pkg{i % 7}" / f"mod_{i:03d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return workspace_dir


def note(text: str) -> str:
    return text.rstrip().splitlines()[-1]


async def test_the_total_and_the_page_of_a_long_answer_are_exact(tool_ctx: ToolContext, big: Path) -> None:
    matches = FILES * LINES // 3
    first = await both(tool_ctx, pattern="value", output_mode="content")
    assert note(first.content) == f"[Showing lines 1-250 of {matches}. Use offset=250 to see more.]"
    # The page is the first lines in path order: pkg0/mod_000.py's 30 matches, then pkg0/mod_007.py's...
    assert first.content.splitlines()[0] == f"{big}/pkg0/mod_000.py:1:value = 0"
    assert first.content.splitlines()[30] == f"{big}/pkg0/mod_007.py:1:value = {7 * LINES}"
    middle = await both(tool_ctx, pattern="value", output_mode="content", offset=4000, head_limit=5)
    assert note(middle.content) == f"[Showing lines 4001-4005 of {matches}. Use offset=4005 to see more.]"
    everything = await both(tool_ctx, pattern="value", output_mode="content", head_limit=0)
    assert len(everything.content.splitlines()) == matches


async def test_context_breaks_and_file_separators_count_in_the_total(
    tool_ctx: ToolContext, big: Path
) -> None:
    # A match every 15 lines: each is printed with its neighbours, and a `--` between the groups.
    out = await both(tool_ctx, pattern="value = [0-9]*[05]$", output_mode="content", **{"-C": 1})
    everything = await both(
        tool_ctx, pattern="value = [0-9]*[05]$", output_mode="content", head_limit=0, **{"-C": 1}
    )
    printed = everything.content.splitlines()
    total = int(re.search(r"of (\d+)\.", note(out.content)).group(1))  # type: ignore[union-attr]
    assert total == len(printed)
    assert printed.count("--") > FILES  # breaks inside files and between them are both in the total


@pytest.mark.skipif(not HAVE_RG, reason="ripgrep is not installed")
async def test_rgs_note_on_a_binary_file_is_not_counted_as_a_line(tool_ctx: ToolContext, big: Path) -> None:
    # rg reads the file in chunks: the match comes before the NUL byte, so it prints the match, then a note.
    (big / "late.txt").write_bytes(b"value here\n" + b"x" * 300_000 + b"\n\0value there\n")
    out = await grep(tool_ctx, "rg", pattern="value here|value = 3$", output_mode="content")
    assert out.content == f"{big}/late.txt:1:value here\n{big}/pkg0/mod_000.py:4:value = 3"
    one = await grep(tool_ctx, "rg", pattern="value here|value = 3$", output_mode="content", head_limit=1)
    assert note(one.content) == "[Showing lines 1-1 of 2. Use offset=1 to see more.]"


def rg_children() -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition("(")[2].rpartition(")")
        if name == "rg" and int(rest.split()[1]) == os.getpid():
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not HAVE_RG, reason="ripgrep is not installed")
async def test_a_search_stopped_at_its_limit_leaves_no_rg_behind(tool_ctx: ToolContext, big: Path) -> None:
    out = await call(GrepTool(engine="rg", timeout_s=-1), tool_ctx, pattern="value", output_mode="content")
    assert out.is_error and "took longer" in out.content
    assert rg_children() == []
