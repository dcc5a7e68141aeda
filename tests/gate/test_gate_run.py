"""The gate runs the checks itself, binds the verdict to the tree, and tells the agent what failed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings
from shopfloor.gate.feedback import format_failure_report, format_report_for_agent
from shopfloor.gate.report import GateTask
from shopfloor.gate.treehash import tree_hash
from shopfloor.gate.verdict import verdict_is_current, verdict_path, write_verdict
from shopfloor.gate.verify import run_gate

from .projects import commit_all, git, init_repo, make_project, needs_node

# The Python fixture's tests need FastAPI: run them on the interpreter running this suite, on purpose.
FAST = GateSettings(run_security=False, python=sys.executable)


@pytest.mark.anyio
async def test_claimed_passing_tests_that_fail_fail_the_gate(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "py")
    # The agent "finished" but broke the owner check, which the suite catches.
    main = root / "app" / "main.py"
    main.write_text(main.read_text().replace("item.owner_id != user.id", "item.owner_id == -1"))
    test = root / "tests" / "test_api.py"
    test.write_text(
        test.read_text() + "\n\ndef test_claimed() -> None:\n    assert 1 + 1 == 3, 'sums are off'\n"
    )
    marker = root / ".orchestrator" / "complete" / "T-1.done"
    marker.parent.mkdir(parents=True)
    marker.write_text("done")

    report = await run_gate(root, task=GateTask(id="T-1"), base_ref=None, settings=FAST)

    assert report.verdict == "fail"
    [pytest_check] = [c for c in report.checks if c.kind == "test"]
    assert pytest_check.exit_code == 1
    assert "1 failed" in pytest_check.output_tail and "sums are off" in pytest_check.output_tail
    text = format_report_for_agent(report)
    assert "FAIL" in text and "exit code 1" in text and "sums are off" in text
    assert f"{sys.executable} -m pytest -q" in text


@needs_node
@pytest.mark.anyio
async def test_verdict_file_is_json_and_void_after_the_tree_changes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    init_repo(root)
    report = await run_gate(root, task=GateTask(id="T-2"), base_ref="HEAD", settings=FAST)
    assert report.verdict == "pass", report.reasons
    marker = write_verdict(root, report)
    assert marker == verdict_path(root, "T-2") == root / ".orchestrator" / "verdicts" / "T-2.json"

    data = json.loads(marker.read_text())
    assert data["verdict"] == "pass" and data["task_id"] == "T-2"
    assert data["tree_hash"] == report.tree_hash
    assert [c["command"] for c in data["checks"]] == ["npm run lint", "npm run test"]
    assert await verdict_is_current(root, marker)

    # An uncommitted edit (even an untracked file) after the verdict voids it.
    (root / "src" / "extra.js").write_text("module.exports = 1;\n")
    assert not await verdict_is_current(root, marker)
    (root / "src" / "extra.js").unlink()
    assert await verdict_is_current(root, marker)
    (root / "src" / "validate.js").write_text("module.exports = {};\n")
    assert not await verdict_is_current(root, marker)


@pytest.mark.anyio
async def test_tree_hash_covers_uncommitted_work_and_leaves_the_index_alone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.txt").write_text("one\n")
    init_repo(root)
    clean = await tree_hash(root)
    assert clean == git(root, "rev-parse", "HEAD^{tree}")
    (root / "b.txt").write_text("new\n")
    (root / ".orchestrator" / "complete").mkdir(parents=True)
    (root / ".orchestrator" / "complete" / "X.done").write_text("done")
    dirty = await tree_hash(root)
    assert dirty != clean
    assert git(root, "status", "--porcelain").splitlines() == ["?? .orchestrator/", "?? b.txt"]
    (root / "b.txt").unlink()
    assert await tree_hash(root) == clean  # harness files under .orchestrator/ do not count


@needs_node
@pytest.mark.anyio
async def test_config_commands_replace_detection(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    settings = GateSettings(commands=['node -e "process.exit(3)"', "echo configured"], run_security=False)
    report = await run_gate(root, task=None, base_ref=None, settings=settings)
    assert [c.command for c in report.checks] == ['node -e "process.exit(3)"', "echo configured"]
    assert [c.exit_code for c in report.checks] == [3, 0]
    assert "configured" in report.checks[1].output_tail
    assert report.verdict == "fail"


@needs_node
@pytest.mark.anyio
async def test_task_commands_from_backticked_criteria_run(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    (root / "test" / "extra.test.js").write_text(
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('task check', () => assert.strictEqual(2 + 2, 5));\n"
    )
    task = GateTask(
        id="T-3",
        acceptance_criteria=[
            "`node --test test/extra.test.js` passes",
            "the `User` model keeps `password_hash` only",
            "`rm -rf /` is not a runner and is ignored",
        ],
    )
    report = await run_gate(root, task=task, base_ref=None, settings=GateSettings(commands=["true"]))
    assert [c.command for c in report.checks] == ["true", "node --test test/extra.test.js"]
    task_check = report.checks[1]
    assert task_check.source == "task" and not task_check.passed
    assert report.verdict == "fail"
    assert "node --test test/extra.test.js" in format_report_for_agent(report)


@pytest.mark.anyio
async def test_hanging_check_is_killed_at_its_timeout(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    hang = f"{sys.executable} -c 'import time; print(\"started\", flush=True); time.sleep(600)'"
    settings = GateSettings(commands=[hang, "echo after"], timeout_s=1.0, run_security=False)
    report = await run_gate(root, task=None, base_ref=None, settings=settings)
    first, second = report.checks
    assert first.timed_out and first.exit_code is None and not first.passed
    assert "started" in first.output_tail and "timeout" in first.output_tail
    assert second.passed  # the gate goes on after a timeout
    assert report.verdict == "fail"
    assert "timed out" in format_report_for_agent(report)


@needs_node
@pytest.mark.anyio
async def test_failure_report_has_the_diff_summary(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    base = init_repo(root)
    (root / "src" / "validate.js").write_text("module.exports = {};\n")
    commit_all(root, "break it")
    report = await run_gate(root, task=GateTask(id="T-4"), base_ref=base, settings=FAST)
    assert report.verdict == "fail"
    text = format_failure_report(report, rounds=3)
    assert text.startswith("Task T-4 failed verification 3 time(s).")
    assert "src/validate.js" in text and "npm run test" in text


@pytest.mark.anyio
async def test_a_tree_given_as_committed_is_judged_and_a_check_that_writes_into_it_is_told(
    tmp_path: Path,
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("A = 1\n")
    init_repo(root)
    committed = git(root, "rev-parse", "HEAD^{tree}").strip()
    quiet = GateSettings(run_security=False, commands=["true"])
    same = await run_gate(root, task=None, base_ref="HEAD", settings=quiet, committed=True)
    assert same.tree_hash == committed == await tree_hash(root) and same.tree_hash_after is None
    writes = GateSettings(run_security=False, commands=["touch build-output.txt"])
    changed = await run_gate(root, task=None, base_ref="HEAD", settings=writes, committed=True)
    assert changed.tree_hash == committed and changed.tree_hash_after == await tree_hash(root) != committed
    assert "the checks changed the tree (output files that are not git-ignored?)" in changed.reasons
