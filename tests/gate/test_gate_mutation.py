"""The gate runs the mutation check on a task's changed functions: the score is in the report, a function
the new tests do not pin down fails the gate, and the agent reads the surviving mutant as a diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.cli.verify import render_report
from shopfloor.config.sections import GateSettings
from shopfloor.gate.feedback import format_report_for_agent
from shopfloor.gate.report import GateTask
from shopfloor.gate.verify import run_gate

from .projects import init_repo

pytestmark = pytest.mark.anyio
SETTINGS = GateSettings(commands=["python -m pytest -q -p no:cacheprovider"], run_security=False)
MULTIPLY = "def add(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n"
# No integrity rule knows this one: the test only checks that the answer prints as something.
PRINTS = "from calc import multiply\n\n\ndef test_multiply():\n    assert str(multiply(2, 3))\n"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / ".gitignore").write_text("__pycache__/\n")
    return root, init_repo(root)


async def test_tests_that_pass_whatever_the_function_returns_fail_the_gate(
    repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, base = repo
    (root / "calc.py").write_text(MULTIPLY)
    (root / "tests" / "test_multiply.py").write_text(PRINTS)
    task = GateTask(id="T-1", category="backend")

    report = await run_gate(root, task=task, base_ref=base, settings=SETTINGS)

    assert report.verdict == "fail"
    assert [f.rule_id for f in report.findings if f.source == "testproof"] == ["MU001"]
    assert "high test-integrity finding MU001 at calc.py:5" in report.reasons
    assert report.mutation is not None and report.mutation.score == 0.0
    assert json.loads(report.model_dump_json())["mutation"]["score"] == 0.0  # what `verify --json` prints
    text = format_report_for_agent(report)
    assert "the task's tests run `multiply` but pass whatever `multiply` returns" in text
    assert "MUTATION CHECK: score 0.00 (0 of 2 mutants killed" in text
    assert "-    return a * b\n    +    return None" in text
    render_report(report)
    shown = capsys.readouterr().out
    assert "mutation: score 0.00, 0 of 2 mutants killed" in shown
    assert "+    return None" in shown
    assert report.tree_hash_after is None  # the mutants never touched the task's tree


async def test_honest_tests_pass_with_their_score_in_the_report(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "calc.py").write_text(MULTIPLY)
    (root / "tests" / "test_multiply.py").write_text(
        "from calc import multiply\n\n\ndef test_multiply():\n    assert multiply(2, 3) == 6\n"
    )
    report = await run_gate(
        root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=SETTINGS
    )
    assert report.verdict == "pass", report.reasons
    assert report.mutation is not None
    assert (report.mutation.score, report.mutation.killed, report.mutation.survived) == (1.0, 2, 0)
    assert "MUTATION CHECK: score 1.00 (2 of 2 mutants killed" in format_report_for_agent(report)


async def test_review_setting_and_other_categories_make_it_a_review_item(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "calc.py").write_text(MULTIPLY)
    (root / "tests" / "test_multiply.py").write_text(PRINTS)
    review = SETTINGS.model_copy(update={"mutation": "review"})
    report = await run_gate(root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=review)
    assert report.verdict == "pass", report.reasons
    assert [(f.rule_id, f.severity) for f in report.findings] == [("MU001", "medium")]

    frontend = await run_gate(
        root, task=GateTask(id="T-1", category="frontend"), base_ref=base, settings=SETTINGS
    )
    assert [(f.rule_id, f.severity) for f in frontend.findings] == [("MU001", "medium")]

    off = SETTINGS.model_copy(update={"mutation": "off"})
    quiet = await run_gate(root, task=GateTask(id="T-1", category="backend"), base_ref=base, settings=off)
    assert quiet.mutation is None and quiet.findings == []
