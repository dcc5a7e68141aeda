"""Shared helpers for the Grep tests: engines to run, a file tree with known modification times."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from shopfloor.tools.base import ToolResult
from shopfloor.tools.context import ToolContext
from shopfloor.tools.grep import GrepTool
from tests.toolcall import call

HAVE_RG = shutil.which("rg") is not None
ENGINES = [
    pytest.param("rg", marks=pytest.mark.skipif(not HAVE_RG, reason="ripgrep is not installed")),
    "python",
]
_BASE_NS = 1_700_000_000 * 10**9


def make_tree(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files`; the first listed is the newest, each next one a second older."""
    for i, (rel, content) in enumerate(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        stamp = _BASE_NS - i * 10**9
        os.utime(path, ns=(stamp, stamp))


async def grep(ctx: ToolContext, engine: str, **raw: Any) -> ToolResult:
    return await call(GrepTool(engine="python" if engine == "python" else "rg"), ctx, **raw)


async def both(ctx: ToolContext, **raw: Any) -> ToolResult:
    """Run both engines (rg only when installed) and insist they answer byte for byte the same."""
    py = await grep(ctx, "python", **raw)
    if HAVE_RG:
        rg = await grep(ctx, "rg", **raw)
        assert rg == py, f"engines differ for {raw}:\n--- rg\n{rg.content}\n--- python\n{py.content}"
    return py
