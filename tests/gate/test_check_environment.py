"""A check that cannot run is not a failing check: a runner that is not installed, dependencies never
installed, a service that is down. Also: the environment checks run in, quiet test suites, clean tails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import EnvSettings, GateSettings
from shopfloor.env import inspect_env
from shopfloor.gate.detect import detect_checks
from shopfloor.gate.report import Check
from shopfloor.gate.verify import run_check, run_gate
from shopfloor.tools.sandbox import SANDBOX_ENV, sandbox_support

FAST = GateSettings(run_security=False, test_integrity=False, prove_tests=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def shell(command: str, root: Path, kind: str = "custom") -> Check:
    return Check(name=command, kind=kind, shell=command, cwd=root, timeout_s=60)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_runner_that_is_not_installed_says_so(tmp_path: Path) -> None:
    argv = Check(name="t", kind="test", argv=["no-such-runner-x", "test"], cwd=tmp_path, timeout_s=60)
    result = await run_check(argv, tmp_path, FAST)
    assert result.environment == "not installed: no-such-runner-x (install it, or set `[gate] commands`)"
    assert not result.passed and result.exit_code is None
    from_shell = await run_check(shell("no-such-runner-x run test", tmp_path), tmp_path, FAST)
    assert from_shell.environment == result.environment


@pytest.mark.anyio
async def test_a_node_project_never_set_up_is_not_run_against_whatever_is_above_it(tmp_path: Path) -> None:
    # A node_modules above the tree holds the package, as a person's checkout would.
    write(tmp_path, {"node_modules/ms/index.js": "module.exports = () => 'from above';\n"})
    root = write(
        tmp_path / "tree",
        {
            "package.json": json.dumps(
                {"scripts": {"test": "node -e \"require('ms')\""}, "dependencies": {"ms": "2"}}
            ),
            "package-lock.json": "{}",
        },
    )
    report = await run_gate(root, task=None, base_ref=None, settings=FAST)
    assert report.verdict == "environment"
    [check] = report.checks
    assert check.environment == "dependencies missing: no node_modules (run setup: `npm ci`)"
    assert check.duration_s == 0  # it never ran
    assert report.reasons == ["environment: dependencies missing: no node_modules (run setup: `npm ci`)"]


@pytest.mark.anyio
async def test_a_declared_tool_missing_from_node_modules_is_a_missing_dependency(tmp_path: Path) -> None:
    package = {"scripts": {"test": "jest"}, "devDependencies": {"jest": "29"}}
    root = write(tmp_path / "p", {"package.json": json.dumps(package), "node_modules/.keep": ""})
    [check] = detect_checks(root, task=None, settings=FAST)
    result = await run_check(check, root, FAST)
    assert result.environment is not None
    assert result.environment.startswith(
        "dependencies missing: jest is a project dependency but not installed"
    )


@pytest.mark.anyio
async def test_missing_python_modules_are_the_environments_only_when_declared(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "tomli-w==1.0.0\n"})
    tool = Check(name="t", kind="test", argv=["python3", "-m", "no_such_tool_x"], cwd=root, timeout_s=60)
    result = await run_check(tool, root, FAST)
    assert result.environment is not None
    assert result.environment.startswith("dependencies missing: no_such_tool_x is not installed for python3")
    declared = await run_check(shell("python3 -c 'import tomli_w_missing_x'", root), root, FAST)
    assert declared.environment is None  # not what requirements.txt declares: the code's own mistake
    (root / "requirements.txt").write_text("tomli-w-missing-x\n")
    declared = await run_check(shell("python3 -c 'import tomli_w_missing_x'", root), root, FAST)
    assert declared.environment == (
        "dependencies missing: tomli_w_missing_x is declared by the project but not installed "
        "(run setup, or set `[env] setup`)"
    )


@pytest.mark.anyio
async def test_connection_refused_on_a_service_port_is_the_environment_on_an_app_port_the_work(
    tmp_path: Path,
) -> None:
    db = "echo 'connection to server at \"127.0.0.1\", port 5432 failed: Connection refused'; exit 1"
    result = await run_check(shell(db, tmp_path, "test"), tmp_path, FAST)
    assert result.environment == "connection refused on 5432: is PostgreSQL running? (`[env] services`)"
    app = "echo 'Error: connect ECONNREFUSED 127.0.0.1:3000'; exit 1"
    assert (await run_check(shell(app, tmp_path, "test"), tmp_path, FAST)).environment is None
    ci = "echo 'redis.exceptions.ConnectionError: Error 111 connecting to localhost:6390.'; exit 1"
    named = await run_check(shell(ci, tmp_path, "test"), tmp_path, FAST, service_ports={6390: "Redis"})
    assert named.environment == "connection refused on 6390: is Redis running? (`[env] services`)"


@pytest.mark.anyio
async def test_a_test_suite_that_prints_nothing_is_stopped_early_with_a_hint(tmp_path: Path) -> None:
    settings = FAST.model_copy(update={"quiet_timeout_s": 0.5})
    hang = shell("echo collecting; sleep 30", tmp_path, "test")
    result = await run_check(hang, tmp_path, settings)
    assert result.quiet and result.timed_out and not result.passed and result.duration_s < 30
    assert "collecting" in result.output_tail and "declare it in `[env] services`" in result.output_tail
    talkative = shell("for i in 1 2 3 4; do echo $i; sleep 0.3; done", tmp_path, "test")
    assert (await run_check(talkative, tmp_path, settings)).passed
    lint = shell("sleep 1; echo ok", tmp_path, "lint")  # the quiet limit is for test suites only
    assert (await run_check(lint, tmp_path, settings)).passed


@pytest.mark.anyio
async def test_output_tails_have_no_terminal_codes(tmp_path: Path) -> None:
    colored = shell(r"printf '\033[31mFAIL\033[0m one\r\nprogress 10%%\rprogress 100%%\n'; exit 1", tmp_path)
    result = await run_check(colored, tmp_path, FAST)
    assert result.output_tail == "FAIL one\nprogress 100%\n"


@pytest.mark.anyio
async def test_checks_run_on_the_trees_own_tools_never_shopfloors_interpreter(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "ms\n", ".venv/bin/python": ""})
    own_bin = str(Path(sys.executable).parent)
    result = await run_check(shell('echo "$PATH"; echo "$VIRTUAL_ENV"', root), root, FAST, inspect_env(root))
    path, venv = result.output_tail.splitlines()
    assert path.split(":")[0] == str(root / ".venv" / "bin")
    assert own_bin not in path.split(":") or sys.prefix == sys.base_prefix
    assert venv == str(root / ".venv")


def test_per_check_timeouts_by_kind_or_name(tmp_path: Path) -> None:
    package = {"scripts": {"lint": "eslint .", "test": "node --test"}}
    root = write(tmp_path / "p", {"package.json": json.dumps(package)})
    settings = FAST.model_copy(update={"timeouts": {"lint": 30, "npm run test": 900}, "timeout_s": 120})
    assert [(c.name, c.timeout_s) for c in detect_checks(root, task=None, settings=settings)] == [
        ("npm run lint", 30),
        ("npm run test", 900),
    ]


@pytest.mark.anyio
async def test_a_tree_with_nothing_to_check_is_not_verified(tmp_path: Path) -> None:
    report = await run_gate(tmp_path, task=None, base_ref=None, settings=FAST)
    assert report.verdict == "fail"
    assert report.reasons == [
        "nothing to check: no build, lint or test command was found for this tree "
        "(set `[gate] commands` in shopfloor.toml)"
    ]
    relaxed = await run_gate(
        tmp_path, task=None, base_ref=None, settings=FAST.model_copy(update={"require_checks": False})
    )
    assert relaxed.verdict == "pass"


@pytest.mark.anyio
async def test_a_package_in_package_json_that_node_cannot_find_was_never_installed(tmp_path: Path) -> None:
    package = {"dependencies": {"is-number": "7.0.0"}}
    root = write(tmp_path / "p", {"package.json": json.dumps(package), "node_modules/.keep": ""})
    declared = await run_check(shell("node -e \"require('is-number')\"", root, "test"), root, FAST)
    assert declared.environment == (
        "dependencies missing: is-number is in package.json but not installed "
        "(run setup, or set `[env] setup`)"
    )
    undeclared = await run_check(shell("node -e \"require('left-pad')\"", root, "test"), root, FAST)
    assert undeclared.environment is None and not undeclared.passed  # the work's own mistake


@pytest.mark.anyio
async def test_the_sandboxed_checks_run_in_the_trees_environment_never_a_parent_checkouts_modules(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SANDBOX_ENV, raising=False)
    assert sandbox_support().available, "bubblewrap is needed (the CI script installs it)"
    checkout = write(outside_tmp / "checkout", {"node_modules/ghost/index.js": "x"})
    modules = checkout / "node_modules"
    root = write(
        checkout / ".orchestrator" / "worktrees" / "T-1",
        {"package.json": "{}", "node_modules/.bin/projtool": "#!/bin/sh\necho from the project\n"},
    )
    (root / "node_modules" / ".bin" / "projtool").chmod(0o755)
    command = (
        f'projtool; echo "$APP_MODE"; ls {modules} | wc -l; '
        f"touch {checkout}/x 2>/dev/null && echo wrote || echo read-only"
    )
    settings = FAST.model_copy(update={"commands": [command]})
    env = inspect_env(root, EnvSettings(vars={"APP_MODE": "testing"}))
    report = await run_gate(root, task=None, base_ref=None, settings=settings, env=env)
    [check] = report.checks
    assert check.output_tail.split() == ["from", "the", "project", "testing", "0", "read-only"]
    assert not any("without a sandbox" in r for r in report.reasons)
