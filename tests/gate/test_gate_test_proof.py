"""The gate proves that a task's new tests can fail, and guards a test-first task's tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings
from shopfloor.gate.report import GateTask
from shopfloor.gate.verify import run_gate

pytestmark = pytest.mark.anyio
SETTINGS = GateSettings(commands=["python -m pytest -q -p no:cacheprovider"], run_security=False)


def git(root: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "tests" / "test_add.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root, git(root, "rev-parse", "HEAD")


async def test_new_test_that_fails_before_and_passes_after_is_accepted(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    (root / "tests" / "test_sub.py").write_text(
        "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 1) == 2\n"
    )
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=SETTINGS
    )
    assert report.verdict == "pass", report.reasons


async def test_new_test_that_already_passes_is_reported_as_not_exercising_the_change(
    repo: tuple[Path, str],
) -> None:
    root, base = repo
    (root / "calc.py").write_text("def add(a, b):\n    return a + b  # faster now\n")
    (root / "tests" / "test_more.py").write_text(
        "from calc import add\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
    )
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=SETTINGS
    )
    assert report.verdict == "fail"
    assert any(f.source == "testproof" and f.file == "tests/test_more.py" for f in report.findings)
    assert any("test-integrity" in r for r in report.reasons)


async def test_assertion_free_test_fails_the_gate(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "tests" / "test_smoke.py").write_text(
        "from calc import add\n\n\ndef test_runs():\n    add(1, 2)\n"
    )
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=SETTINGS
    )
    assert report.verdict == "fail"
    [finding] = [f for f in report.findings if f.rule_id.startswith("TI")]
    assert finding.file == "tests/test_smoke.py" and finding.line == 4


async def test_test_first_task_needs_failing_tests_and_skips_the_test_run(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "tests" / "test_mul.py").write_text(
        "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
    )
    task = GateTask(id="TASK-T01", category="testing", test_first=True)
    report = await run_gate(root, task=task, base_ref=base, settings=SETTINGS)
    assert report.verdict == "pass", report.reasons
    assert all(c.kind != "test" for c in report.checks)


async def test_test_first_task_whose_tests_already_pass_is_rejected(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "tests" / "test_again.py").write_text(
        "from calc import add\n\n\ndef test_again():\n    assert add(2, 2) == 4\n"
    )
    task = GateTask(id="TASK-T01", category="testing", test_first=True)
    report = await run_gate(root, task=task, base_ref=base, settings=SETTINGS)
    assert report.verdict == "fail"
    assert any(f.file == "tests/test_again.py" for f in report.findings)


async def test_build_task_may_not_change_its_test_tasks_tests(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "tests" / "test_add.py").write_text("def test_add():\n    assert True\n")
    task = GateTask(id="TASK-001", category="testing", protected_paths=["tests/test_add.py"])
    report = await run_gate(root, task=task, base_ref=base, settings=SETTINGS)
    assert report.verdict == "fail"
    assert [t.path for t in report.tamper] == ["tests/test_add.py"]


async def test_tests_run_on_the_project_s_python_never_on_shopfloor_s(repo: tuple[Path, str]) -> None:
    # No .venv here: the proofs use `python3` as the project's checks do. shopfloor's own interpreter
    # would import packages the project does not have (shopfloor itself, here) and pass a broken test.
    root, base = repo
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    (root / "tests" / "test_sub.py").write_text(
        "import shopfloor  # not installed for this project\n\nfrom calc import sub\n\n\n"
        "def test_sub():\n    assert sub(3, 1) == 2\n"
    )
    checks_say_nothing = SETTINGS.model_copy(update={"commands": ["true"]})
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=checks_say_nothing
    )
    assert report.verdict == "fail", report.reasons
    assert any(f.source == "testproof" and f.file == "tests/test_sub.py" for f in report.findings)
