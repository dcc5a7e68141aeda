"""Which files Grep searches (.gitignore, .ignore, globs, nested repos), and engine agreement at large."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.tools.context import ToolContext
from tests.tools.grep_tree import both, make_tree

pytestmark = pytest.mark.anyio

GITIGNORE = """# build output
*.tmp
/root-only.txt
logs/
!logs/keep.txt
docs/**/draft.md
\\#hash.txt
trailing.txt{spaces}
out/**
""".format(spaces="   ")


@pytest.fixture
def repo(workspace_dir: Path) -> Path:
    (workspace_dir / ".git" / "info").mkdir(parents=True)
    (workspace_dir / ".git" / "info" / "exclude").write_text("excluded.txt\n")
    (workspace_dir / "nested" / ".git").mkdir(parents=True)
    make_tree(
        workspace_dir,
        {
            "kept.txt": "hit\n",
            "a.tmp": "hit\n",
            "root-only.txt": "hit\n",
            "sub/root-only.txt": "hit\n",
            "logs/x.txt": "hit\n",
            "logs/keep.txt": "hit\n",
            "sub/logs": "hit\n",
            "docs/draft.md": "hit\n",
            "docs/a/b/draft.md": "hit\n",
            "docs/a/final.md": "hit\n",
            "#hash.txt": "hit\n",
            "trailing.txt": "hit\n",
            "out/deep/file.txt": "hit\n",
            "excluded.txt": "hit\n",
            "sub/b.tmp": "hit\n",
            "sub/local.txt": "hit\n",
            "over/x.txt": "hit\n",
            "nested/a.tmp": "hit\n",
            ".gitignore": GITIGNORE,
            "sub/.gitignore": "!*.tmp\nlocal.txt\n",
            "over/.gitignore": "x.txt\n",
            "over/.ignore": "!x.txt\n",
        },
    )
    return workspace_dir


def listed(out: str, root: Path) -> list[str]:
    return [line.removeprefix(f"{root}/") for line in out.splitlines()[1:]]


async def test_gitignore_rules_and_precedence(tool_ctx: ToolContext, repo: Path) -> None:
    out = await both(tool_ctx, pattern="hit")
    assert listed(out.content, repo) == [
        "kept.txt",
        "sub/root-only.txt",
        "sub/logs",
        "docs/a/final.md",
        "sub/b.tmp",
        "over/x.txt",
        "nested/a.tmp",
    ]


async def test_parent_gitignore_applies_to_a_subfolder_search(tool_ctx: ToolContext, repo: Path) -> None:
    out = await both(tool_ctx, pattern="hit", path="sub")
    assert listed(out.content, repo) == ["sub/root-only.txt", "sub/logs", "sub/b.tmp"]
    inside_ignored = await both(tool_ctx, pattern="hit", path="logs")
    assert listed(inside_ignored.content, repo) == ["logs/x.txt", "logs/keep.txt"]


async def test_a_glob_overrides_gitignore_for_files_not_folders(tool_ctx: ToolContext, repo: Path) -> None:
    out = await both(tool_ctx, pattern="hit", glob="*.tmp")
    assert listed(out.content, repo) == ["a.tmp", "sub/b.tmp", "nested/a.tmp"]
    excluded = await both(tool_ctx, pattern="hit", glob="!*.md")
    assert "docs/a/final.md" not in listed(excluded.content, repo)
    assert "kept.txt" in listed(excluded.content, repo)


async def test_gitignore_needs_a_git_repository(tool_ctx: ToolContext, workspace_dir: Path) -> None:
    files = {"a.log": "hit\n", ".gitignore": "*.log\n", ".ignore": "b.txt\n", "b.txt": "hit\n"}
    make_tree(workspace_dir, files)
    out = await both(tool_ctx, pattern="hit")
    assert listed(out.content, workspace_dir) == ["a.log"]


ENGINE_TREE: dict[str, str | bytes] = {
    "pkg/core.py": "import re\nCOUNT = 42\n\nclass Loader:\n    def load(self, url):\n        return url\n",
    "pkg/ui.tsx": "export const App = () => <div>Hello café</div>;\n// TODO: x = 1\n",
    "pkg/empty.txt": "",
    "pkg/blank.txt": "\n\n",
    "pkg/no-newline.txt": "tail without newline",
    "pkg/tabs.go": "package main\n\nfunc main() {\n\tx := 3\n\ty := x + 4\n}\n",
    "README.md": "# Title\n\nSome *words* and [links](http://a.b).\nNUMBERS 1 22 333\n",
    "data.json": '{"a": [1, 2, 3], "b": {"c": "d"}}\n',
    "crlf.txt": b"first line\r\nsecond line\r\n",
}
PATTERNS = [
    "load",
    r"\bx\b",
    "^def",
    "e$",
    r"\d+",
    "[[:upper:]]{2,}",
    r"url\)",
    "",
    "é",
    r"\w+\s*[:=]+\s*\w+",
    "(?i)todo",
    r"\{|\}",
    "line$",
    r"^\s*$",
    r"\x{43}OUNT",
]


@pytest.mark.parametrize("pattern", PATTERNS)
async def test_engines_agree(tool_ctx: ToolContext, workspace_dir: Path, pattern: str) -> None:
    (workspace_dir / ".git").mkdir()
    make_tree(workspace_dir, ENGINE_TREE)
    for mode in ("files_with_matches", "content", "count"):
        for flags in ({}, {"-i": True, "-C": 1}):
            await both(tool_ctx, pattern=pattern, output_mode=mode, head_limit=0, **flags)


@pytest.mark.parametrize("pattern", [r"class.*?load", r"\}\n", r"x := 3\n\s*y", "Title.*words"])
async def test_engines_agree_in_multiline(tool_ctx: ToolContext, workspace_dir: Path, pattern: str) -> None:
    make_tree(workspace_dir, ENGINE_TREE)
    for mode in ("files_with_matches", "content", "count"):
        out = await both(tool_ctx, pattern=pattern, output_mode=mode, multiline=True, **{"-B": 1})
        assert not out.is_error
