"""A task may add tests but not weaken existing tests, CI or lint config, unless it is a testing task."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings
from shopfloor.gate.feedback import format_report_for_agent
from shopfloor.gate.report import GateTask
from shopfloor.gate.verify import run_gate

from .projects import commit_all, init_repo, make_project

GUARD_ONLY = GateSettings(commands=["true"], run_security=False, test_integrity=False, prove_tests=False)


def weaken_test(root: Path) -> None:
    test = root / "tests" / "test_api.py"
    text = test.read_text()
    assert "status_code == 403" in text
    test.write_text(text.replace("status_code == 403", "status_code in (200, 403)"))


@pytest.mark.anyio
async def test_weakened_test_fails_the_gate_with_its_diff(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "py")
    base = init_repo(root)
    weaken_test(root)
    commit_all(root, "make the admin test pass")
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=GUARD_ONLY
    )
    assert report.verdict == "fail"
    [finding] = report.tamper
    assert finding.path == "tests/test_api.py" and finding.change == "modified"
    assert '-    assert client.get("/admin/users", headers=login()).status_code == 403' in finding.diff
    assert '+    assert client.get("/admin/users", headers=login()).status_code in (200, 403)' in finding.diff
    text = format_report_for_agent(report)
    assert "TEST TAMPERING" in text and "tests/test_api.py" in text and "in (200, 403)" in text


@pytest.mark.anyio
@pytest.mark.parametrize(
    "task", [GateTask(id="T-2", category="testing"), GateTask(id="T-2", allow_test_changes=True)]
)
async def test_testing_task_or_explicit_permission_may_change_tests(tmp_path: Path, task: GateTask) -> None:
    root = make_project(tmp_path / "proj", "py")
    base = init_repo(root)
    weaken_test(root)
    report = await run_gate(root, task=task, base_ref=base, settings=GUARD_ONLY)
    assert report.tamper == [] and report.verdict == "pass"


@pytest.mark.anyio
async def test_new_tests_are_fine_deleted_ones_are_not(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    base = init_repo(root)
    (root / "test" / "more.test.js").write_text("require('node:test')('x', () => {});\n")
    added = await run_gate(root, task=GateTask(id="T-3"), base_ref=base, settings=GUARD_ONLY)
    assert added.tamper == [] and added.verdict == "pass"
    (root / "test" / "validate.test.js").unlink()
    deleted = await run_gate(root, task=GateTask(id="T-3"), base_ref=base, settings=GUARD_ONLY)
    assert [(t.path, t.change) for t in deleted.tamper] == [("test/validate.test.js", "deleted")]
    assert deleted.verdict == "fail"


@pytest.mark.anyio
async def test_test_and_lint_config_changes_are_caught(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    base = init_repo(root)
    # Adding a dependency is fine; changing pytest's options, the test script or CI is not.
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["httpx"]\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
    )
    fine = await run_gate(root, task=GateTask(id="T-4"), base_ref=base, settings=GUARD_ONLY)
    assert fine.tamper == []
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q --deselect tests/test_api.py"\n'
    )
    pkg = root / "package.json"
    pkg.write_text(pkg.read_text().replace('"node --test test/"', '"exit 0"'))
    (root / ".github" / "workflows" / "ci.yml").write_text("on: workflow_dispatch\n")
    report = await run_gate(root, task=GateTask(id="T-4"), base_ref=base, settings=GUARD_ONLY)
    reasons = {t.path: t.reason for t in report.tamper}
    assert set(reasons) == {"pyproject.toml", "package.json", ".github/workflows/ci.yml"}
    assert "pytest/ruff/mypy" in reasons["pyproject.toml"]
    assert reasons[".github/workflows/ci.yml"] == "CI configuration"


@pytest.mark.anyio
async def test_another_tasks_protected_files_stay_protected_even_for_testing_tasks(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "py")
    base = init_repo(root)
    (root / "app" / "limits.py").write_text("def login_rate_limit() -> None:\n    return None\n")
    task = GateTask(id="T-5", category="testing", protected_paths=["app/limits.py"])
    report = await run_gate(root, task=task, base_ref=base, settings=GUARD_ONLY)
    assert [(t.path, t.reason) for t in report.tamper] == [
        ("app/limits.py", "protected path of another task")
    ]
    settings = GateSettings(commands=["true"], run_security=False, protected_paths=["app/*.py"])
    by_config = await run_gate(root, task=GateTask(id="T-6"), base_ref=base, settings=settings)
    assert [t.path for t in by_config.tamper] == ["app/limits.py"]


@pytest.mark.anyio
async def test_unknown_base_ref_fails_loudly(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "js")
    init_repo(root)
    report = await run_gate(root, task=GateTask(id="T-7"), base_ref="no-such-branch", settings=GUARD_ONLY)
    assert report.verdict == "fail"
    assert any("no-such-branch" in r for r in report.reasons)


@pytest.mark.anyio
async def test_a_change_to_the_projects_mcp_servers_or_claude_settings_is_caught(tmp_path: Path) -> None:
    # Each names commands this machine would run: an agent adding one must not get it merged.
    root = make_project(tmp_path / "proj", "py")
    base = init_repo(root)
    (root / ".mcp.json").write_text('{"mcpServers": {"x": {"command": "sh", "args": ["-c", "id"]}}}\n')
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text('{"hooks": {}}\n')
    report = await run_gate(root, task=GateTask(id="T-7"), base_ref=base, settings=GUARD_ONLY)
    assert {t.path for t in report.tamper} == {".mcp.json", ".claude/settings.json"}
    assert report.verdict == "fail"
