"""Project memory: which CLAUDE.md files an agent gets, in which order, with their @imports."""

from __future__ import annotations

from pathlib import Path

from shopfloor.specs.memory import MAX_IMPORT_DEPTH, imports_of, load_memory
from tests.gitcmd import git_out as git
from tests.specs.conftest import write


def repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    return root


def test_every_file_in_claude_codes_order(project: Path, home: Path) -> None:
    repo(project)
    write(home / ".claude/CLAUDE.md", "user rules")
    write(project / "CLAUDE.md", "root rules")
    write(project / ".claude/CLAUDE.md", "dot-claude rules")
    write(project / ".claude/rules/b.md", "rule b")
    write(project / ".claude/rules/a.md", "rule a")
    write(project / "CLAUDE.local.md", "my local rules")
    write(project / "svc/CLAUDE.md", "service rules")
    write(project / "other/CLAUDE.md", "not on the path")

    memory = load_memory(project / "svc", home=home)

    texts = [f.text for f in memory.files]
    assert texts == ["user rules", "root rules", "dot-claude rules", "rule a", "rule b", "my local rules",
                     "service rules"]  # fmt: skip
    assert [f.kind for f in memory.files] == ["user", "project", "project", "project", "project", "local",
                                              "project"]  # fmt: skip
    rendered = memory.render()
    assert rendered.startswith("# Project memory (CLAUDE.md)")
    header = "Contents of CLAUDE.md (project instructions, checked into the codebase):"
    assert f"{header}\n\nroot rules" in rendered
    assert rendered.index("user rules") < rendered.index("root rules") < rendered.index("service rules")
    assert "not on the path" not in rendered


def test_no_memory_renders_nothing(project: Path, home: Path) -> None:
    repo(project)
    assert load_memory(project, home=home).render() == ""


def test_imports_follow_relative_home_and_nested_paths_once(project: Path, home: Path) -> None:
    repo(project)
    write(project / "CLAUDE.md", "See @docs/style.md and @~/.claude/mine.md. Also @docs/style.md again.")
    write(project / "docs/style.md", "style guide, see @../CLAUDE.md and @deeper/one.md")
    write(project / "docs/deeper/one.md", "deeper")
    write(home / ".claude/mine.md", "my extras")

    memory = load_memory(project, home=home)

    assert [(f.path.name, f.kind) for f in memory.files] == [
        ("CLAUDE.md", "project"),
        ("style.md", "import"),
        ("one.md", "import"),
    ]
    style = memory.files[1]
    assert style.imported_by == project / "CLAUDE.md"
    assert "Contents of docs/style.md (imported by CLAUDE.md)" in memory.render()
    # A project file cannot pull in files from outside the checkout (Claude Code would ask first).
    assert memory.skipped == [(home / ".claude/mine.md", project / "CLAUDE.md")]


def test_the_users_memory_may_import_from_home(project: Path, home: Path) -> None:
    repo(project)
    write(home / ".claude/CLAUDE.md", "@~/notes/prefs.md")
    write(home / "notes/prefs.md", "tabs, never spaces")
    memory = load_memory(project, home=home)
    assert [f.text for f in memory.files] == ["@~/notes/prefs.md", "tabs, never spaces"]


def test_imports_inside_code_are_not_followed() -> None:
    text = "Run `@npm/test` then\n```\n@inside/fence.md\n```\n@real.md, mail me@example.com\n~~~\n@no.md\n~~~"
    assert imports_of(text) == ["real.md"]
    assert imports_of("see @a\\ b.md.") == ["a b.md"]


def test_imports_stop_after_five_hops(project: Path, home: Path) -> None:
    repo(project)
    write(project / "CLAUDE.md", "@m1.md")
    for i in range(1, MAX_IMPORT_DEPTH + 3):
        write(project / f"m{i}.md", f"hop {i} @m{i + 1}.md")
    names = [f.path.name for f in load_memory(project, home=home).files]
    assert names == ["CLAUDE.md", *[f"m{i}.md" for i in range(1, MAX_IMPORT_DEPTH + 1)]]


def test_a_worktree_reads_its_own_files_and_the_main_checkouts_local_file(project: Path, home: Path) -> None:
    repo(project)
    write(project / "CLAUDE.md", "shared rules")
    write(project / ".gitignore", "CLAUDE.local.md\n.orchestrator/\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "memory")
    write(project / "CLAUDE.local.md", "private rules")
    tree = project / ".orchestrator/worktrees/TASK-1"
    git(project, "worktree", "add", "-q", str(tree))

    memory = load_memory(tree, home=home)

    assert [(f.path, f.kind) for f in memory.files] == [
        (tree / "CLAUDE.md", "project"),  # the worktree's own copy, not the project's a second time
        (project / "CLAUDE.local.md", "local"),
    ]
    # Named relative to the checkout, so every worktree renders the memory as the project does.
    assert memory.render() == load_memory(project, home=home).render() != ""


def test_outside_a_repository_only_the_working_directory_counts(tmp_path: Path, home: Path) -> None:
    write(tmp_path / "CLAUDE.md", "parent, not read")
    work = tmp_path / "work"
    write(work / "CLAUDE.md", "here")
    assert [f.text for f in load_memory(work, home=home).files] == ["here"]
