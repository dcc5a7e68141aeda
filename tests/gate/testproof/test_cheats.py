"""Each cheating test in `cheats/` is caught, by its integrity rule and by the mutation check; the honest
test of the same function passes both. Real git repositories, real pytest and node runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopfloor.gate.testproof import check_test_integrity, mutation_check, mutation_findings
from tests.gate.testproof.gitrepo import commit_all, init_repo, marked_line, write

pytestmark = pytest.mark.anyio
CHEATS = Path(__file__).parent / "cheats"
PY_BASE = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
}
PY_TASK = "def add(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n"
JS_BASE = {
    "package.json": '{"name": "calc", "private": true}\n',
    "src/calc.js": "function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n",
}
JS_TASK = (
    "function add(a, b) {\n  return a + b;\n}\n\nfunction multiply(a, b) {\n  return a * b;\n}\n\n"
    "module.exports = { add, multiply };\n"
)


def fixtures(language: str) -> list[Path]:
    return sorted(p for p in (CHEATS / language).iterdir() if "honest" not in p.name)


def task_tree(tmp_path: Path, language: str, test: Path) -> tuple[Path, str]:
    """A repository without `multiply`; the task adds it and `test`, uncommitted as agents leave them."""
    if language == "python":
        repo = init_repo(tmp_path / "repo", PY_BASE)
        rel = "tests/test_multiply.py"
        write(repo, {"calc.py": PY_TASK, rel: test.read_text()})
    else:
        repo = init_repo(tmp_path / "repo", JS_BASE)
        rel = f"test/{test.name}"
        write(repo, {"src/calc.js": JS_TASK, rel: test.read_text()})
    return repo, rel


@pytest.mark.parametrize(
    ("language", "fixture"),
    [("python", p) for p in fixtures("python")] + [("js", p) for p in fixtures("js")],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
async def test_each_cheat_is_caught_by_its_rule(tmp_path: Path, language: str, fixture: Path) -> None:
    text = fixture.read_text()
    rule = re.search(r"CHEAT: (TI\d{3})", text)
    assert rule is not None, f"{fixture.name} names no rule"
    repo, rel = task_tree(tmp_path, language, fixture)
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [
        (rule.group(1), rel, marked_line(text, "<-"))
    ]
    assert not report.passed


@pytest.mark.parametrize("language", ["python", "js"])
async def test_the_honest_test_passes_integrity_and_kills_every_mutant(tmp_path: Path, language: str) -> None:
    honest = CHEATS / language / ("honest.py" if language == "python" else "honest.test.js")
    repo, rel = task_tree(tmp_path, language, honest)
    assert (await check_test_integrity(repo, base_ref="HEAD")).findings == []

    report = await mutation_check(repo, "HEAD", budget_s=120)
    assert report.status == "ran", report.notes
    assert report.tests == [rel]
    assert [(f.function, f.killed, f.survived) for f in report.functions] == [("multiply", 2, 0)]
    assert report.score == 1.0
    assert mutation_findings(report) == []


@pytest.mark.parametrize(
    ("language", "name", "rule", "mutated"),
    [
        ("python", "self_compare.py", "MU001", "+    return None"),
        ("js", "self_compare.test.js", "MU001", "+  return undefined;"),
        # The real `multiply` never runs: its mutants survive unseen (TI007 is the blocking finding).
        ("python", "patched_unit.py", "MU003", "+    return None"),
        ("js", "spy_asserted.test.js", "MU003", "+  return undefined;"),
    ],
)
async def test_the_mutation_check_also_catches_cheats(
    tmp_path: Path, language: str, name: str, rule: str, mutated: str
) -> None:
    repo, _rel = task_tree(tmp_path, language, CHEATS / language / name)
    source = "calc.py" if language == "python" else "src/calc.js"
    before = (repo / source).read_text()

    report = await mutation_check(repo, "HEAD", budget_s=120)

    assert report.score == 0.0
    [finding] = mutation_findings(report)
    assert (finding.rule_id, finding.severity, finding.file) == (
        rule,
        "high" if rule == "MU001" else "medium",
        source,
    )
    if rule == "MU001":
        assert "run `multiply` but pass whatever `multiply` returns" in finding.message
        assert all(m.reached for m in report.mutants)
    else:
        assert "no test the task added or changed runs `multiply`" in finding.message
        assert not any(m.reached for m in report.mutants)
    assert any(mutated in m.diff for m in report.survivors)
    assert (repo / source).read_text() == before  # mutants go to a scratch copy, never the task's tree


async def test_a_changed_function_its_tests_never_call_is_untested(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", PY_BASE)
    write(
        repo,
        {
            "calc.py": PY_TASK,
            "tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        },
    )
    report = await mutation_check(repo, "HEAD", budget_s=120)
    [finding] = mutation_findings(report)
    assert (finding.rule_id, finding.severity, finding.line) == ("MU003", "medium", 5)
    assert "no test the task added or changed runs `multiply`" in finding.message
    assert {m.reached for m in report.mutants} == {False}
    commit_all(repo, "task")  # nothing changed since the base any more: nothing to mutate
    again = await mutation_check(repo, "HEAD", budget_s=120)
    assert again.status == "skipped" and again.notes
