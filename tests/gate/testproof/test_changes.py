"""Which files and lines a change touched: read from git directly, or from the diff the gate already read
for a tree committed whole; both must agree, or the test proofs judge different lines than the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.gate.gitdiff import changed_lines, diff_entries
from shopfloor.gate.testproof.changes import changed_files, changed_from_diff
from tests.gate.testproof.gitrepo import commit_all, git, init_repo, write

LONG = "".join(f"line {n}\n" for n in range(1, 31))


@pytest.mark.anyio
async def test_the_committed_diff_names_the_same_files_and_lines_as_git_does(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "repo",
        {"app/calc.py": LONG, "app/old_name.py": LONG, "app/gone.py": "x = 1\n", "tests/test_a.py": "a\n"},
    )
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, {"app/calc.py": LONG.replace("line 3\n", "line three\n").replace("line 20\n", "20\n")})
    (repo / "app" / "old_name.py").rename(repo / "app" / "new_name.py")
    write(repo, {"app/new_name.py": LONG.replace("line 9\n", "nine\n")})
    (repo / "app" / "gone.py").unlink()
    write(repo, {"tests/test_b.py": "def test_b():\n    assert 1\n"})
    commit_all(repo, "the task's work")
    head_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()

    derived = changed_from_diff(
        repo, await diff_entries(repo, base, head_tree), await changed_lines(repo, base, head_tree)
    )
    read = await changed_files(repo, base)

    assert derived == read
    by_path = {c.path: c for c in derived}
    assert set(by_path) == {"app/calc.py", "app/new_name.py", "tests/test_b.py"}
    assert by_path["app/calc.py"].lines == {3, 20} and not by_path["app/calc.py"].added
    assert by_path["app/new_name.py"].added and by_path["app/new_name.py"].lines == set(range(1, 32))
    assert by_path["tests/test_b.py"].lines == {1, 2, 3}
