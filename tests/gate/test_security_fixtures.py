"""Every planted issue in the fixture projects is found at its line; clean projects have no high finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings
from shopfloor.gate.report import GateTask
from shopfloor.gate.security import ScanScope, run_checklist
from shopfloor.gate.verify import run_gate

from .projects import JS_VARIANTS, PY_VARIANTS, commit_all, init_repo, make_project, overlay, planted

CASES = [("py", v) for v in PY_VARIANTS] + [("js", v) for v in JS_VARIANTS]
NO_CHECKS = GateSettings(commands=["true"])


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["py", "js"])
async def test_clean_projects_have_no_high_finding(tmp_path: Path, kind: str) -> None:
    root = make_project(tmp_path / "proj", kind)
    findings = await run_checklist(root)
    assert [f for f in findings if f.severity == "high"] == []


@pytest.mark.anyio
@pytest.mark.parametrize(("kind", "variant"), CASES)
async def test_planted_issue_is_found_at_its_line(tmp_path: Path, kind: str, variant: str) -> None:
    root = make_project(tmp_path / "proj", kind, variant)
    expected = planted(root)
    assert expected, "the variant marks its planted issue"
    findings = await run_checklist(root)
    got = {(f.file, f.line, f.rule_id) for f in findings if f.severity == "high"}
    for where in expected:
        assert where in got, f"{where} not among {sorted(got)}"


@pytest.mark.anyio
@pytest.mark.parametrize(("kind", "variant"), CASES)
async def test_gate_on_a_vulnerable_diff_fails_with_the_finding(
    tmp_path: Path, kind: str, variant: str
) -> None:
    root = make_project(tmp_path / "proj", kind)
    base = init_repo(root)
    overlay(root, kind, variant)  # left uncommitted: the gate judges the working tree as it stands
    report = await run_gate(root, task=GateTask(id="T-7"), base_ref=base, settings=NO_CHECKS)
    assert report.verdict == "fail"
    found = {(f.file, f.line, f.rule_id) for f in report.findings}
    for where in planted(root):
        assert where in found
        assert any(where[2] in r and f"{where[0]}:{where[1]}" in r for r in report.reasons)


@pytest.mark.anyio
async def test_diff_scope_reports_only_changed_lines(tmp_path: Path) -> None:
    # The base already has the planted issue; the task changes an unrelated line of the same file.
    root = make_project(tmp_path / "proj", "py", "password_log")
    base = init_repo(root)
    main = root / "app" / "main.py"
    main.write_text(main.read_text().replace('return {"status": "ok"}', 'return {"status": "fine"}'))
    commit_all(root, "task")
    report = await run_gate(root, task=GateTask(id="T-8"), base_ref=base, settings=NO_CHECKS)
    assert report.findings == []
    assert report.verdict == "pass"
    # The same tree verified as a whole still shows the old issue.
    whole = await run_checklist(root, scope=ScanScope())
    assert any(f.rule_id == "sensitive-data-in-log" for f in whole)
