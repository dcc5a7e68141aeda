"""Glob through ripgrep and through the pure-Python walk: the same answers either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shopfloor.tools import glob as glob_module
from shopfloor.tools.context import ToolContext
from shopfloor.tools.glob import MAX_RESULTS, GlobTool
from tests.toolcall import call

pytestmark = pytest.mark.anyio

TREE = [
    "README.md",
    "setup.py",
    "src/app.py",
    "src/util.py",
    "src/web/views.py",
    "src/web/templates/index.html",
    "src/web/static/app.js",
    "tests/test_app.py",
    ".env.example",
    ".github/workflows/ci.yml",
    "build/gen.py",
    "docs/a[1].md",
]


@pytest.fixture(params=["rg", "python"])
def tool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> GlobTool:
    """GlobTool as shipped; for "python", as on a machine without ripgrep."""
    if request.param == "rg":
        if glob_module.find_rg() is None:
            pytest.skip("ripgrep is not installed")
    else:
        monkeypatch.setattr(glob_module, "find_rg", lambda: None)
    return GlobTool()


@pytest.fixture
def tree(workspace_dir: Path) -> Path:
    """A small project; file i of TREE is older than file i+1, so newest-first order is known."""
    for i, rel in enumerate(TREE):
        f = workspace_dir / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(rel)
        os.utime(f, ns=(1_700_000_000_000_000_000 + i * 10**9,) * 2)
    (workspace_dir / ".gitignore").write_text("build/\n.env*\n")
    os.utime(workspace_dir / ".gitignore", ns=(1_600_000_000_000_000_000,) * 2)
    (workspace_dir / ".git" / "objects").mkdir(parents=True)
    (workspace_dir / ".git" / "config").write_text("[core]\n")
    (workspace_dir / ".git" / "objects" / "hook.py").write_text("")
    return workspace_dir


async def glob(tool: GlobTool, ctx: ToolContext, pattern: str, **extra: object) -> list[str]:
    res = await call(tool, ctx, pattern=pattern, **extra)
    assert not res.is_error, res.content
    return res.content.split("\n")


def newest_first(root: Path, *rels: str) -> list[str]:
    return [str(root / r) for r in sorted(rels, key=TREE.index, reverse=True)]


async def test_name_pattern_matches_at_any_depth_newest_first(
    tool: GlobTool, tool_ctx: ToolContext, tree: Path
) -> None:
    found = await glob(tool, tool_ctx, "*.py")
    expected = newest_first(
        tree, "setup.py", "src/app.py", "src/util.py", "src/web/views.py", "tests/test_app.py", "build/gen.py"
    )
    assert found == expected
    assert await glob(tool, tool_ctx, "**/*.py") == expected


async def test_pattern_with_a_slash_is_anchored(tool: GlobTool, tool_ctx: ToolContext, tree: Path) -> None:
    assert await glob(tool, tool_ctx, "src/*.py") == newest_first(tree, "src/app.py", "src/util.py")
    assert await glob(tool, tool_ctx, "src/**/*.py") == newest_first(
        tree, "src/app.py", "src/util.py", "src/web/views.py"
    )
    assert await glob(tool, tool_ctx, "./src/*.py") == newest_first(tree, "src/app.py", "src/util.py")
    assert await glob(tool, tool_ctx, "web/*.py") == ["No files found"]


async def test_braces_classes_and_question_mark(tool: GlobTool, tool_ctx: ToolContext, tree: Path) -> None:
    assert await glob(tool, tool_ctx, "src/**/*.{js,html}") == newest_first(
        tree, "src/web/templates/index.html", "src/web/static/app.js"
    )
    assert await glob(tool, tool_ctx, "[st]*/*.py") == newest_first(
        tree, "src/app.py", "src/util.py", "tests/test_app.py"
    )
    assert await glob(tool, tool_ctx, "src/???.py") == newest_first(tree, "src/app.py")
    assert await glob(tool, tool_ctx, "docs/a\\[1\\].md") == newest_first(tree, "docs/a[1].md")


async def test_hidden_and_ignored_files_count_but_git_does_not(
    tool: GlobTool, tool_ctx: ToolContext, tree: Path
) -> None:
    everything = await glob(tool, tool_ctx, "**/*")
    assert everything == [*newest_first(tree, *TREE), str(tree / ".gitignore")]
    assert not any("/.git/" in p for p in everything)
    assert await glob(tool, tool_ctx, ".env*") == [str(tree / ".env.example")]


async def test_path_narrows_the_search(tool: GlobTool, tool_ctx: ToolContext, tree: Path) -> None:
    assert await glob(tool, tool_ctx, "*.py", path=str(tree / "src" / "web")) == [
        str(tree / "src/web/views.py")
    ]
    assert await glob(tool, tool_ctx, "*.py", path="tests") == [str(tree / "tests/test_app.py")]
    # A directory written into the pattern works like `path`.
    assert await glob(tool, tool_ctx, f"{tree}/src/*.py") == newest_first(tree, "src/app.py", "src/util.py")


async def test_bad_path_or_pattern_is_an_error(tool: GlobTool, tool_ctx: ToolContext, tree: Path) -> None:
    res = await call(tool, tool_ctx, pattern="*.py", path=str(tree / "setup.py"))
    assert res.is_error and "not a directory" in res.content
    res = await call(tool, tool_ctx, pattern="*.py", path=str(tree / "nope"))
    assert res.is_error and "does not exist" in res.content
    res = await call(tool, tool_ctx, pattern="src/[ab.py")
    assert res.is_error and "unclosed character class" in res.content
    res = await call(tool, tool_ctx, pattern="{a,{b,c}}")
    assert res.is_error and "nested" in res.content
    res = await call(tool, tool_ctx)
    assert res.is_error and "`pattern`" in res.content
    res = await call(tool, tool_ctx, pattern="*.py", glob="*.md")
    assert res.is_error and "`glob`" in res.content


async def test_no_files_found(tool: GlobTool, tool_ctx: ToolContext, tree: Path) -> None:
    assert await glob(tool, tool_ctx, "**/*.rs") == ["No files found"]


async def test_at_most_100_results_with_a_note(
    tool: GlobTool, tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    for i in range(MAX_RESULTS + 5):
        f = workspace_dir / "many" / f"f{i:03}.txt"
        f.parent.mkdir(exist_ok=True)
        f.write_text("")
        os.utime(f, ns=(1_700_000_000_000_000_000 + i * 10**9,) * 2)
    found = await glob(tool, tool_ctx, "**/*.txt")
    assert len(found) == MAX_RESULTS + 1
    assert found[0] == str(workspace_dir / "many" / "f104.txt")
    assert found[MAX_RESULTS - 1] == str(workspace_dir / "many" / "f005.txt")
    assert "truncated" in found[-1] and f"of {MAX_RESULTS + 5}" in found[-1]


async def test_equal_times_are_ordered_by_path(
    tool: GlobTool, tool_ctx: ToolContext, workspace_dir: Path
) -> None:
    for name in ("b.txt", "a.txt", "c.txt"):
        (workspace_dir / name).write_text("")
        os.utime(workspace_dir / name, ns=(1_700_000_000_000_000_000,) * 2)
    assert await glob(tool, tool_ctx, "*.txt") == [
        str(workspace_dir / n) for n in ("a.txt", "b.txt", "c.txt")
    ]


async def test_nothing_outside_the_workspace_is_listed(
    tool: GlobTool, tool_ctx: ToolContext, workspace_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("")
    (workspace_dir / "inside.py").write_text("")
    (workspace_dir / "linkdir").symlink_to(outside)
    (workspace_dir / "link.py").symlink_to(outside / "leak.py")
    assert await glob(tool, tool_ctx, "**/*.py") == [str(workspace_dir / "inside.py")]
    assert await glob(tool, tool_ctx, "linkdir/*") == ["No files found"]
    for pattern, path in (("*.py", str(outside)), ("*.py", "../outside"), (f"{outside}/*.py", None)):
        extra = {"path": path} if path else {}
        res = await call(tool, tool_ctx, pattern=pattern, **extra)
        assert res.is_error and "outside the workspace" in res.content
    res = await call(tool, tool_ctx, pattern="*.py", path=str(workspace_dir / "linkdir"))
    assert res.is_error and "outside the workspace" in res.content


async def test_secret_stores_are_not_listed_when_home_is_searched(
    tool: GlobTool, tool_ctx: ToolContext, workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace_dir / ".ssh").mkdir()
    (workspace_dir / ".ssh" / "id_ed25519").write_text("")
    (workspace_dir / ".ssh-notes").write_text("")
    (workspace_dir / ".netrc").write_text("")
    monkeypatch.setenv("HOME", str(workspace_dir))
    assert await glob(tool, tool_ctx, "**/*") == [str(workspace_dir / ".ssh-notes")]


PATTERNS = [
    "*",
    "**",
    "**/*.py",
    "*.{py,md}",
    "src/**",
    "src/**/",
    "**/web/**",
    "/*.py",
    "src/*",
    "*/app.*",
    "s*/**/*.py",
    "[!s]*.py",
    "!*.py",
    "!src",
    "**/templates",
    "src/{app,web/views}.py",
]


@pytest.mark.parametrize("pattern", PATTERNS)
async def test_ripgrep_and_python_walk_agree(tool_ctx: ToolContext, tree: Path, pattern: str) -> None:
    if glob_module.find_rg() is None:
        pytest.skip("ripgrep is not installed")
    with_rg = await call(GlobTool(), tool_ctx, pattern=pattern)
    walked = await call(GlobTool(use_rg=False), tool_ctx, pattern=pattern)
    assert with_rg == walked
