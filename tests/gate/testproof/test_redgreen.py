"""Fail-before / pass-after proofs and the red check for test tasks, with real git, pytest and node."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shopfloor.gate.testproof import FileProof, TestRunnerSpec, prove_tests, red_check
from tests.gate.testproof.gitrepo import commit_all, git, init_repo, worktrees, write

MUL_TEST = "from app.calc import mul\n\n\ndef test_mul():\n    assert mul(3, 4) == 12\n"
FIXED_CALC = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"

PY_BASE = {
    "app/__init__.py": "",
    "app/calc.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n",
    "tests/test_add.py": "from app.calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
}

JS_BASE = {
    "math.js": "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a + b;\n",
    "test/add.test.js": (
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "const { add } = require('../math');\n\ntest('add', () => assert.strictEqual(add(2, 2), 4));\n"
    ),
}


def task_tree(repo: Path, name: str = "task") -> Path:
    """The task's own worktree on its own branch, as the orchestrator makes it."""
    tree = repo.parent / name
    git(repo, "worktree", "add", "-q", "-b", name, str(tree), "main")
    return tree


def statuses(proof: FileProof) -> dict[str, tuple[str, str]]:
    return {t.name: (t.before, t.after) for t in proof.tests}


@pytest.mark.anyio
async def test_python_red_green_passes_before_and_fails_after(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", PY_BASE)
    tree = task_tree(repo)
    write(
        tree,
        {
            "app/calc.py": FIXED_CALC,
            "tests/test_mul.py": MUL_TEST,
            # Uses a fixture from a new conftest.py: the conftest must travel to the base with the tests.
            "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef two():\n    return 2\n",
            "tests/test_add_more.py": (
                "from app.calc import add\n\n\ndef test_add_two(two):\n    assert add(two, two) == 4\n"
            ),
            "tests/test_div.py": "from app.calc import div\n\n\ndef test_div():\n    assert div(6, 3) == 2\n",
        },
    )
    commit_all(tree, "task work")

    report = await prove_tests(repo, tree, "main", None, timeout_s=120)

    verdicts = {f.file: f.verdict for f in report.files}
    assert verdicts == {
        "tests/test_add_more.py": "passes-before",
        "tests/test_div.py": "fails-after",
        "tests/test_mul.py": "red-green",
    }
    by_file = {f.file: f for f in report.files}
    assert statuses(by_file["tests/test_mul.py"]) == {"test_mul": ("failed", "passed")}
    assert statuses(by_file["tests/test_add_more.py"]) == {"test_add_two": ("passed", "passed")}
    assert "don't exercise the change" in by_file["tests/test_add_more.py"].message
    assert report.verdict() == "rejected"
    assert report.verdict(passes_before_fails=False) == "rejected"  # test_div still fails on the tree
    assert {(f.rule_id, f.file) for f in report.findings()} == {
        ("RG001", "tests/test_add_more.py"),
        ("RG002", "tests/test_div.py"),
    }
    assert [r.where for r in report.runs] == ["base", "tree"]
    assert report.runs[0].command[0] == "python3"  # no .venv: the PATH's, never shopfloor's own
    assert worktrees(repo) == [str(repo.resolve()), str(tree.resolve())]


@pytest.mark.anyio
async def test_red_green_pair_is_accepted_using_the_projects_venv(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", PY_BASE)
    tree = task_tree(repo)
    write(
        tree,
        {
            "app/calc.py": FIXED_CALC,
            "tests/test_mul.py": MUL_TEST,
        },
    )  # left uncommitted: the tree is what the agent left, committed or not
    venv_python = tree / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    # A wrapper rather than a link: a linked interpreter would lose the virtualenv that has pytest.
    venv_python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    venv_python.chmod(0o755)

    report = await prove_tests(repo, tree, "main", [tree / "tests/test_mul.py"], timeout_s=120)

    assert [(f.file, f.verdict) for f in report.files] == [("tests/test_mul.py", "red-green")]
    assert report.verdict() == "accepted"
    assert report.findings() == []
    assert report.runs[0].command[0] == str(venv_python)
    assert worktrees(repo) == [str(repo.resolve()), str(tree.resolve())]


@pytest.mark.anyio
async def test_javascript_red_green_with_nodes_test_runner(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", JS_BASE)
    tree = task_tree(repo)
    write(
        tree,
        {
            "math.js": "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n",
            "test/mul.test.js": (
                "const test = require('node:test');\nconst assert = require('node:assert');\n"
                "const { mul } = require('../math');\n\n"
                "test.describe('mul', () => {\n"
                "  test.it('multiplies', () => assert.strictEqual(mul(3, 4), 12));\n"
                "  test.it('zero', () => assert.strictEqual(mul(0, 0), 0));\n});\n"
            ),
            "test/types.test.ts": "import { mul } from '../math';\n",
            "test/add.test.js": JS_BASE["test/add.test.js"]
            + "test('add more', () => assert.strictEqual(add(1, 1), 2));\n",
        },
    )

    report = await prove_tests(repo, tree, "main", None, timeout_s=120)

    by_file = {f.file: f for f in report.files}
    assert {f: p.verdict for f, p in by_file.items()} == {
        "test/add.test.js": "passes-before",
        "test/mul.test.js": "red-green",
    }
    assert statuses(by_file["test/mul.test.js"]) == {
        "mul > multiplies": ("failed", "passed"),
        "mul > zero": ("passed", "passed"),
    }
    assert report.unsupported == ["test/types.test.ts"]  # node cannot run TypeScript by itself
    assert report.verdict() == "rejected"
    assert report.verdict(passes_before_fails=False) == "accepted"
    assert worktrees(repo) == [str(repo.resolve()), str(tree.resolve())]


@pytest.mark.anyio
async def test_a_test_that_hangs_on_the_base_counts_as_failing_there(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {**JS_BASE, "math.js": "exports.mul = () => { for (;;) {} };\n"})
    write(
        repo,
        {
            "math.js": "exports.mul = (a, b) => a * b;\n",
            "test/mul.test.js": (
                "const test = require('node:test');\nconst assert = require('node:assert');\n"
                "const { mul } = require('../math');\ntest('mul', () => assert.strictEqual(mul(2, 5), 10));\n"
            ),
        },
    )  # the repository's own checkout is the tree here

    report = await prove_tests(repo, repo, "HEAD", None, timeout_s=4)

    assert [(f.file, f.verdict) for f in report.files] == [("test/mul.test.js", "red-green")]
    assert report.runs[0].timed_out
    assert worktrees(repo) == [str(repo.resolve())]


@pytest.mark.anyio
async def test_worktree_is_removed_when_the_runner_cannot_start(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", PY_BASE)
    write(
        repo,
        {"tests/test_mul.py": "from app.calc import mul\n\n\ndef test_mul():\n    assert mul(3, 4) == 12\n"},
    )
    missing = TestRunnerSpec(kind="command", command=[str(tmp_path / "no-such-runner")])

    with pytest.raises(FileNotFoundError):
        await prove_tests(repo, repo, "HEAD", None, runner=missing, timeout_s=30)

    assert worktrees(repo) == [str(repo.resolve())]
    assert "prunable" not in git(repo, "worktree", "list", "--porcelain")


@pytest.mark.anyio
async def test_red_check_reports_new_tests_that_already_pass(tmp_path: Path) -> None:
    base = {
        "app/__init__.py": "",
        "app/calc.py": "def add(a, b):\n    return a + b\n",
        "tests/test_calc.py": "from app.calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
    }
    repo = init_repo(tmp_path / "repo", base)
    tree = task_tree(repo, "tests-task")
    write(
        tree,
        {
            # An existing, passing test stays in this file; only the appended one is new, and it fails.
            "tests/test_calc.py": base["tests/test_calc.py"]
            + "\n\ndef test_mul():\n    from app.calc import mul\n\n    assert mul(2, 3) == 6\n",
            "tests/test_more.py": (
                "from app.calc import add\n\n\ndef test_add_again():\n    assert add(1, 2) == 3\n\n\n"
                "def test_mul_again():\n    from app.calc import mul\n\n    assert mul(1, 2) == 2\n"
            ),
        },
    )
    commit_all(tree, "tests for mul")

    report = await red_check(tree, "main", None, timeout_s=120)

    by_file = {f.file: f for f in report.files}
    assert by_file["tests/test_calc.py"].verdict == "red"
    assert by_file["tests/test_calc.py"].new_tests == ["test_mul"]
    assert by_file["tests/test_more.py"].verdict == "already-passes"
    assert by_file["tests/test_more.py"].passing == ["test_add_again"]
    assert not report.accepted
    assert [(f.rule_id, f.file, f.severity) for f in report.findings()] == [
        ("RC001", "tests/test_more.py", "high")
    ]
    assert "test_add_again" in report.findings()[0].message

    regression = await red_check(
        tree, "main", [Path("tests/test_more.py")], regression_ok=True, timeout_s=120
    )
    assert regression.accepted
    assert [(f.rule_id, f.severity) for f in regression.findings()] == [("RC001", "low")]


@pytest.mark.anyio
async def test_red_check_accepts_javascript_tests_that_fail_first(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", JS_BASE)
    tree = task_tree(repo, "tests-task")
    write(
        tree,
        {
            "test/mul.test.js": (
                "const test = require('node:test');\nconst assert = require('node:assert');\n\n"
                "test('mul', () => {\n  const { mul } = require('../math');\n"
                "  assert.strictEqual(mul(3, 4), 12);\n});\n"
            )
        },
    )

    report = await red_check(tree, "main", None, timeout_s=120)

    assert [(f.file, f.verdict, f.new_tests) for f in report.files] == [("test/mul.test.js", "red", ["mul"])]
    assert report.accepted
    assert report.findings() == []
