"""Node projects through `shopfloor run`: the worktree gets its own node_modules before the agent, the
sandboxed agent's `npm test` uses it (and cannot reach the checkout's), the gate runs the project's own
scripts with its own manager, a new dependency is installed before the gate, and nothing fetches after
setup."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.env.conftest import path_with
from tests.env.proxy import RefusingProxy
from tests.env.runs import (
    add_tasks,
    bash,
    bash_answers,
    env_log,
    finished,
    git,
    new_project,
    notices,
    read,
    run_tasks,
    verdict,
    write,
)
from tests.env.runs import status as task_status

pytestmark = pytest.mark.slow

# The task each scripted agent does: a short form of the durations, with a test that fails without it.
SHORT = """
function short(milliseconds) {
  return ms(milliseconds);
}

module.exports = { describe, short };
"""
SHORT_TEST = """'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { short } = require('../index');

test('two hours, briefly', () => {
  assert.strictEqual(short(7200000), '2h');
});
"""


def add_short(project: Path) -> list[dict[str, object]]:
    index = (project / "index.js").read_text().replace("module.exports = { describe };\n", SHORT)
    return [read("index.js"), write("index.js", index), write("test/short.test.js", SHORT_TEST)]


def test_npm_project_gets_its_own_node_modules_and_the_gate_runs_its_scripts(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path, outside_tmp: Path
) -> None:
    # Outside /tmp, as a person's checkout is: the sandbox would hide anything under /tmp anyway.
    project = new_project(locked("node_npm"), outside_tmp / "app", [("TASK-001", "Add a short form.")])
    # What a person has installed in their checkout must not be what a task's work runs on.
    ghost = project / "node_modules" / "ghost"
    ghost.mkdir(parents=True)
    (ghost / "index.js").write_text("module.exports = 'from the checkout';\n")
    agent = finished(
        *add_short(project),
        bash("npm test"),
        bash("node -e \"console.log(require.resolve('ms'))\""),
        bash("node -e \"require('ghost')\" && echo GHOST-REACHED || echo ghost-not-found"),
    )
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": agent}, path_with(tool_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    worktree = project / ".orchestrator" / "worktrees" / "TASK-001"
    npm_test, resolved, ghost_probe = bash_answers(project, "TASK-001")
    assert not npm_test[2] and "pass 2" in npm_test[1], npm_test
    assert str(worktree / "node_modules" / "ms") in resolved[1]
    assert "ghost-not-found" in ghost_probe[1] and "GHOST-REACHED" not in ghost_probe[1]
    assert not any("NOT sandboxed" in n for n in notices(project, "TASK-001"))

    report = verdict(project, "TASK-001")
    assert report["verdict"] == "pass", report["reasons"]
    assert [(c["command"], c["passed"]) for c in report["checks"]] == [("npm run test", True)]
    log = env_log(project, "TASK-001")
    assert "$ npm ci" in log and "-> exit 0" in log
    assert "node_modules" not in git(project, "ls-tree", "-r", "--name-only", "main")


def test_a_second_task_gets_the_installed_modules_from_the_cache_and_nothing_fetches_after_setup(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    project = new_project(locked("node_npm"), tmp_path / "app", [("TASK-001", "Add a short form.")])
    path = path_with(tool_bin)
    first = run_tasks(project, tmp_path / "s1", {"TASK-001": finished(*add_short(project))}, path)
    assert first.returncode == 0, first.stdout + first.stderr
    add_tasks(project, [("TASK-002", "Check the durations again.")])
    with RefusingProxy() as proxy:
        second = run_tasks(
            project, tmp_path / "s2", {"TASK-002": finished(bash("npm test"))}, path, extra_env=proxy.env()
        )
    assert second.returncode == 0, second.stdout + second.stderr
    assert proxy.requests == []  # setup came from the cache; the agent and the gate fetched nothing
    log = env_log(project, "TASK-002")
    assert "restored node_modules from the cache" in log and "$ npm ci" not in log
    [npm_test] = bash_answers(project, "TASK-002")
    assert not npm_test[2] and "pass 2" in npm_test[1]


def test_a_task_that_adds_a_dependency_gets_it_installed_before_the_gate(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    project = new_project(
        locked("node_npm"), tmp_path / "app", [("TASK-001", "Refuse what is not a number.")]
    )
    package = json.loads((project / "package.json").read_text())
    package["dependencies"]["is-number"] = "7.0.0"
    index = (
        (project / "index.js")
        .read_text()
        .replace(
            "function describe(milliseconds) {",
            "const isNumber = require('is-number');\n\nfunction describe(milliseconds) {\n"
            "  if (!isNumber(milliseconds)) throw new TypeError('not a number');",
        )
    )
    guard_test = SHORT_TEST.replace("{ short }", "{ describe }").replace(
        "test('two hours, briefly', () => {\n  assert.strictEqual(short(7200000), '2h');",
        "test('words are refused', () => {\n  assert.throws(() => describe('soon'), TypeError);",
    )
    agent = finished(
        read("package.json"),
        write("package.json", json.dumps(package, indent=2) + "\n"),
        read("index.js"),
        write("index.js", index),
        write("test/guard.test.js", guard_test),
    )
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": agent}, path_with(tool_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = verdict(project, "TASK-001")
    assert report["verdict"] == "pass" and report["checks"][0]["command"] == "npm run test"
    # The install ran after the agent, and the lockfile it wrote is part of the merged work.
    lock = json.loads(git(project, "show", "main:package-lock.json"))
    assert "node_modules/is-number" in lock["packages"]
    log = env_log(project, "TASK-001")
    assert "the task changed its dependencies" in log and "$ npm install" in log


def test_pnpm_project_runs_with_pnpm_in_the_sandbox_and_at_the_gate(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    project = new_project(locked("node_pnpm"), tmp_path / "app", [("TASK-001", "Check parity.")])
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": finished(bash("pnpm test"))}, path_with(tool_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [pnpm_test] = bash_answers(project, "TASK-001")
    assert not pnpm_test[2] and "pass 1" in pnpm_test[1], pnpm_test
    report = verdict(project, "TASK-001")
    assert [(c["command"], c["passed"]) for c in report["checks"]] == [("pnpm run test", True)]
    assert "$ pnpm install --frozen-lockfile" in env_log(project, "TASK-001")


def test_a_runner_that_is_not_installed_fails_the_task_before_any_agent_runs(
    locked: Callable[[str], Path], tool_bin: Path, tmp_path: Path
) -> None:
    template = tmp_path / "yarn_app"
    template.mkdir()
    for name in ("package.json", "index.js"):
        (template / name).write_text((locked("node_npm") / name).read_text())
    (template / "yarn.lock").write_text("# yarn lockfile v1\n")
    project = new_project(template, tmp_path / "app", [("TASK-001", "Anything.")])
    path = path_with(tool_bin, without=("yarn",))
    proc = run_tasks(project, tmp_path / "s", {"TASK-001": finished()}, path)
    assert proc.returncode == 1
    task = task_status(project, path)["TASK-001"]
    assert task["status"] == "failed" and task["attempts"] == 0  # no agent ran, nothing was spent
    assert task["last_error"] == (
        "environment broken: not installed: yarn (install it, or set `[env] setup`)"
    ), task["last_error"]
