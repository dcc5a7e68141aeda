"""Attack 5: the gate runs agent-written code (a conftest.py, package scripts, a command in backticks in the
criteria). It now runs it in the same sandbox as Bash: offline unless `[gate] network = true`, only the
tree writable. A Python and a Node project's real checks keep passing there; and the gate's processes
die with the run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings, SandboxSettings
from shopfloor.gate.report import GateTask
from shopfloor.gate.verify import run_gate
from shopfloor.tools.sandbox import SANDBOX_ENV
from tests.security.hostile import (
    MARKER,
    finish,
    git,
    make_project,
    query,
    scripts,
    shopfloor,
    start,
    tool,
)
from tests.tools.test_process import left_behind, processes_running, unique_sleep

pytestmark = pytest.mark.anyio

CHECKS_ONLY = {"run_security": False, "tamper_guard": False, "test_integrity": False, "prove_tests": False}


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on the host's loopback that accepts connections."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        yield srv.getsockname()[1]


def escaping_conftest(port: int, outside: Path, sock: Path) -> str:
    return f"""import os, socket
def _try(what, fn):
    try:
        fn()
        print("ESCAPED:", what)
    except OSError as err:
        print("blocked:", what, type(err).__name__)
def _tcp():
    s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
    s.sendall(b"conftest"); s.close()
def _unix():
    s = socket.socket(socket.AF_UNIX); s.connect({str(sock)!r}); s.sendall(b"conftest"); s.close()
_try("tcp", _tcp)
_try("unix", _unix)
_try("outside", lambda: open({str(outside)!r}, "w").write("escaped"))
"""


def project_with_tests(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "tests" / "test_ok.py").write_text("def test_ok():\n    assert 1 + 1 == 2\n")
    git(root, "init", "-q", "-b", "main")


def unix_server(path: Path) -> socket.socket:
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(4)
    srv.settimeout(0.2)
    return srv


async def test_agent_written_conftest_runs_offline_and_writes_only_the_tree(
    tmp_path: Path, listener: int
) -> None:
    port = listener
    tree = tmp_path / "tree"
    project_with_tests(tree)
    outside = Path.home() / f".shopfloor-gate-escape-{os.getpid()}"
    srv = unix_server(tree / "host.sock")
    (tree / "conftest.py").write_text(escaping_conftest(port, outside, tree / "host.sock"))
    settings = GateSettings(commands=["python3 -m pytest -q -s -p no:cacheprovider"], **CHECKS_ONLY)
    try:
        report = await run_gate(tree, task=None, base_ref=None, settings=settings)
        with pytest.raises(TimeoutError):
            srv.accept()
        assert not outside.exists()
    finally:
        srv.close()
        outside.unlink(missing_ok=True)
    (check,) = report.checks
    assert check.passed, check.output_tail
    assert "ESCAPED" not in check.output_tail
    assert check.output_tail.count("blocked:") == 3
    assert not any("without a sandbox" in r for r in report.reasons)
    # With the network allowed on purpose, the same conftest reaches the host's loopback.
    allowed = settings.model_copy(update={"network": True})
    report = await run_gate(tree, task=None, base_ref=None, settings=allowed)
    assert "ESCAPED: tcp" in report.checks[0].output_tail


async def test_a_command_in_backticks_runs_confined_too(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    project_with_tests(tree)
    outside = Path.home() / f".shopfloor-criteria-escape-{os.getpid()}"
    task = GateTask(id="T-1", acceptance_criteria=[f"`python3 -c \"open('{outside}', 'w')\"` succeeds"])
    try:
        report = await run_gate(tree, task=task, base_ref=None, settings=GateSettings(**CHECKS_ONLY))
        assert not outside.exists()
    finally:
        outside.unlink(missing_ok=True)
    criteria = [c for c in report.checks if c.source == "task"]
    assert criteria and not criteria[0].passed and "Read-only file system" in criteria[0].output_tail


async def test_a_python_project_s_tests_pass_under_the_gate_sandbox(tmp_path: Path) -> None:
    host_only = tmp_path / "host-only.txt"  # under the host's /tmp: the sandbox has its own
    host_only.write_text("host")
    tree = tmp_path / "py"
    project_with_tests(tree)
    (tree / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (tree / "tests" / "test_sandboxed.py").write_text(
        f"import os\n\ndef test_runs_in_the_sandbox():\n    assert not os.path.exists({str(host_only)!r})\n"
        "    open('made-by-tests.txt', 'w').write('ok')  # the tree is writable\n"
    )
    report = await run_gate(tree, task=None, base_ref=None, settings=GateSettings(**CHECKS_ONLY))
    tests = [c for c in report.checks if c.kind == "test"]
    assert tests and all(c.passed for c in tests), [c.output_tail for c in tests]
    assert (tree / "made-by-tests.txt").read_text() == "ok"
    (tree / "tests" / "test_sandboxed.py").write_text("def test_broken():\n    assert False\n")
    report = await run_gate(tree, task=None, base_ref=None, settings=GateSettings(**CHECKS_ONLY))
    assert report.verdict == "fail"


async def test_a_node_project_s_tests_pass_under_the_gate_sandbox(tmp_path: Path) -> None:
    assert shutil.which("node") and shutil.which("npm"), "node and npm are part of the test machine"
    host_only = tmp_path / "host-only.txt"
    host_only.write_text("host")
    tree = tmp_path / "node"
    tree.mkdir()
    (tree / "package.json").write_text(
        '{"name": "demo", "version": "1.0.0", "scripts": {"test": "node --test"}}\n'
    )
    (tree / "math.test.js").write_text(
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "const fs = require('fs');\n"
        "test('adds', () => assert.strictEqual(1 + 1, 2));\n"
        f"test('sandboxed', () => assert.ok(!fs.existsSync({str(host_only)!r})));\n"
    )
    git(tree, "init", "-q", "-b", "main")
    report = await run_gate(tree, task=None, base_ref=None, settings=GateSettings(**CHECKS_ONLY))
    tests = [c for c in report.checks if c.kind == "test"]
    assert tests and tests[0].command == "npm run test", report.checks
    assert tests[0].passed, tests[0].output_tail
    assert "pass 2" in tests[0].output_tail


async def test_the_gate_says_when_its_checks_ran_without_a_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    project_with_tests(tree)
    settings = GateSettings(**CHECKS_ONLY)
    off = SandboxSettings(enabled=False)
    report = await run_gate(tree, task=None, base_ref=None, settings=settings, sandbox=off)
    assert not any("without a sandbox" in r for r in report.reasons)  # off on purpose: nothing to say
    monkeypatch.setenv(SANDBOX_ENV, "off")  # as if bwrap did not work on this machine
    report = await run_gate(tree, task=None, base_ref=None, settings=settings)
    assert any("the checks ran without a sandbox" in r for r in report.reasons), report.reasons


def test_hostile_conftest_through_a_run_cannot_reach_the_host(tmp_path: Path, listener: int) -> None:
    port = listener
    toml = '[gate]\ncommands = ["python3 -m pytest -q -s -p no:cacheprovider"]\nprove_tests = false\n'
    project = make_project(tmp_path, toml)
    (project / "tests").mkdir()
    (project / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "tests")
    outside = Path.home() / f".shopfloor-run-escape-{os.getpid()}"
    hostile = [
        tool(
            "Write",
            file_path="{workdir}/conftest.py",
            content=escaping_conftest(port, outside, project / "no.sock"),
        ),
        *finish(),
    ]
    try:
        proc = shopfloor(
            "run", "--model", f"scripted:{scripts(tmp_path, {'TASK-001': hostile})}", cwd=project
        )
        assert not outside.exists()
    finally:
        outside.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = (project / ".orchestrator" / "reports" / "TASK-001" / "gate-1.json").read_text()
    assert "blocked: tcp" in report and "ESCAPED" not in report


def test_the_gate_s_processes_die_with_a_killed_run(tmp_path: Path) -> None:
    marker = unique_sleep()
    toml = f'[gate]\ncommands = ["sleep {marker}"]\ntimeout_s = 600\nprove_tests = false\n'
    project = make_project(tmp_path, toml)
    d = scripts(tmp_path, {"TASK-001": [tool("Write", file_path=MARKER, content="done"), "Done."]})
    proc = start("run", "--model", f"scripted:{d}", cwd=project)
    try:
        for _ in range(600):
            if processes_running(marker):
                break
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.1)
        else:
            pytest.fail("the gate's check never started")
        assert (
            query(project, "SELECT status FROM tasks WHERE task_id = 'TASK-001'")[0]["status"] == "verifying"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert left_behind(marker) == []


async def test_the_mutation_check_runs_the_task_s_tests_confined_too(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "calc.py").write_text("def add(a, b):\n    return a\n")
    git(tree, "init", "-q", "-b", "main")
    git(tree, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(tree, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base")
    base = git(tree, "rev-parse", "HEAD").strip()
    outside = Path.home() / f".shopfloor-mutation-escape-{os.getpid()}"
    (tree / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (tree / "tests" / "test_calc.py").write_text(
        f"try:\n    open({str(outside)!r}, 'w').write('escaped')\nexcept OSError:\n    pass\n\n"
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    settings = GateSettings(
        commands=["true"], run_security=False, test_integrity=False, prove_tests=False, mutation="review"
    )
    try:
        report = await run_gate(tree, task=GateTask(id="T-1"), base_ref=base, settings=settings)
        assert not outside.exists()
    finally:
        outside.unlink(missing_ok=True)
    assert report.mutation is not None and report.mutation.status == "ran", report.mutation
