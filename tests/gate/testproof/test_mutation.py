"""The mutation check: the mutants it makes of changed lines, the branch a happy-path test leaves
unchecked, and its budget. Real git, pytest and node."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from shopfloor.gate.testproof import mutation_check, mutation_findings
from shopfloor.gate.testproof.js_mutator import js_functions
from shopfloor.gate.testproof.py_mutator import python_functions
from tests.gate.testproof.gitrepo import init_repo, marked_line, write

PY_CLASSIFY = dedent(
    """\
    def classify(n):
        if n < 0:
            return "negative"  # <-
        return "non-negative"
    """
)
JS_CLASSIFY = dedent(
    """\
    function classify(n) {
      if (n < 0) {
        return 'negative'; // <-
      }
      return 'non-negative';
    }

    module.exports = { classify };
    """
)
PY_HAPPY = 'from calc import classify\n\n\ndef test_classify():\n    assert classify(5) == "non-negative"\n'
JS_HAPPY = (
    "const test = require('node:test');\nconst assert = require('node:assert');\n"
    "const { classify } = require('../src/calc');\n\n"
    "test('classifies', () => {\n  assert.strictEqual(classify(5), 'non-negative');\n});\n"
)
PYPROJECT = '[tool.pytest.ini_options]\npythonpath = ["."]\n'


def test_python_mutants_cover_each_kind_on_changed_lines_only() -> None:
    text = dedent(
        """\
        def untouched(a, b):
            return a + b


        class Account:
            def deposit(self, amount):
                if amount <= 0:
                    raise ValueError("amount must be positive")
                self.balance += amount
                self.log.append(amount)
                return self.balance > 100 and not self.frozen
        """
    )
    [fn] = python_functions("bank.py", text, frozenset(range(6, 12)), limit=10)
    assert (fn.name, fn.line) == ("Account.deposit", 6)
    got = {(m.kind, m.description) for m in fn.mutants}
    assert got == {
        ("return", "`return self.balance > 100 and not self.frozen` -> `return None`"),
        ("condition", "`if amount <= 0` -> `if not (amount <= 0)`"),
        ("operator", "`+=` -> `-=` in `self.balance += amount`"),
        ("operator", "`>` -> `<=` in `self.balance > 100`"),
        ("operator", "`and` -> `or` in `self.balance > 100 and not self.frozen`"),
        ("statement", '`raise ValueError("amount must be positive")` removed'),
        ("statement", "`self.balance += amount` removed"),
        ("statement", "`self.log.append(amount)` removed"),
    }
    swapped = next(m for m in fn.mutants if m.description.startswith("`>`"))
    assert "return self.balance <= 100 and not self.frozen" in swapped.apply(text)
    assert "@@" in swapped.diff(text) and "+        return self.balance <= 100" in swapped.diff(text)
    # One of each kind first, when the limit is small.
    [few] = python_functions("bank.py", text, frozenset(range(6, 12)), limit=4)
    assert [m.kind for m in few.mutants] == ["return", "condition", "operator", "statement"]


def test_js_mutants_cover_each_kind_on_changed_lines_only() -> None:
    text = dedent(
        """\
        export const untouched = (a, b) => a + b;

        export class Account {
          deposit(amount) {
            if (amount <= 0) throw new Error('amount must be positive');
            this.balance += amount;
            return this.balance > 100 && !this.frozen;
          }
        }
        """
    )
    [fn] = js_functions("src/bank.ts", text, frozenset(range(3, 9)), limit=10)
    assert (fn.name, fn.line) == ("Account.deposit", 4)
    got = {(m.kind, m.description) for m in fn.mutants}
    assert got == {
        ("return", "`return this.balance > 100 && !this.frozen` -> `return undefined`"),
        ("condition", "`amount <= 0` -> `!(amount <= 0)`"),
        ("operator", "`+=` -> `-=` in `this.balance += amount`"),
        ("operator", "`>` -> `<=` in `this.balance > 100`"),
        ("operator", "`&&` -> `||` in `this.balance > 100 && !this.frozen`"),
        ("statement", "`throw new Error('amount must be positive');` removed"),
        ("statement", "`this.balance += amount;` removed"),
    }
    arrow = js_functions("src/bank.ts", text, frozenset({1}), limit=10)
    assert [(f.name, [m.description for m in f.mutants]) for f in arrow] == [
        ("untouched", ["`=> a + b` -> `=> undefined`", "`+` -> `-` in `a + b`"])
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("language", ["python", "js"])
async def test_a_happy_path_test_leaves_the_other_branch_to_a_surviving_mutant(
    tmp_path: Path, language: str
) -> None:
    if language == "python":
        repo = init_repo(tmp_path / "repo", {"calc.py": "", "pyproject.toml": PYPROJECT})
        source, text = "calc.py", PY_CLASSIFY
        write(repo, {source: text, "tests/test_calc.py": PY_HAPPY})
    else:
        repo = init_repo(tmp_path / "repo", {"src/calc.js": "module.exports = {};\n"})
        source, text = "src/calc.js", JS_CLASSIFY
        write(repo, {source: text, "test/calc.test.js": JS_HAPPY})

    report = await mutation_check(repo, "HEAD", budget_s=120)

    [fn] = report.functions
    assert fn.function == "classify" and fn.killed >= 2
    [survivor] = report.survivors
    assert (survivor.file, survivor.line, survivor.kind) == (source, marked_line(text, "<-"), "return")
    assert survivor.reached is False  # the baseline run is traced: no test even enters that branch
    [finding] = mutation_findings(report)
    assert (finding.rule_id, finding.severity, finding.line) == ("MU002", "medium", survivor.line)
    assert "negative" in finding.message
    assert 0 < (report.score or 0) < 1


@pytest.mark.anyio
async def test_budget_off_too_small_and_nothing_to_do_are_notes_not_failures(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"calc.py": "", "pyproject.toml": PYPROJECT})
    write(repo, {"calc.py": PY_CLASSIFY, "tests/test_calc.py": PY_HAPPY})

    off = await mutation_check(repo, "HEAD", budget_s=0)
    assert (off.status, off.notes) == ("skipped", ["mutation check off ([gate] mutation_budget_s is 0)"])
    small = await mutation_check(repo, "HEAD", budget_s=0.5)
    assert small.status == "skipped" and "too small" in small.notes[0]
    assert mutation_findings(small) == []

    write(repo, {"tests/test_calc.py": PY_HAPPY.replace('"non-negative"', '"positive"')})
    failing = await mutation_check(repo, "HEAD", budget_s=120)
    assert failing.status == "skipped" and "do not pass" in failing.notes[0]

    (repo / "tests" / "test_calc.py").unlink()
    untested = await mutation_check(repo, "HEAD", budget_s=120)
    assert untested.notes == ["mutation check skipped: the task added or changed no test"]


@pytest.mark.anyio
async def test_each_mutant_is_judged_by_the_tests_that_run_its_lines(tmp_path: Path) -> None:
    """Only the tests that ran a mutant's lines run against it: they must still be the ones that kill it."""
    repo = init_repo(tmp_path / "repo", {"shapes.py": "", "pyproject.toml": PYPROJECT})
    source = dedent(
        """\
        def area(w, h):
            return w * h


        def perimeter(w, h):
            return 2 * (w + h)
        """
    )
    tests = dedent(
        """\
        import pytest

        from shapes import area, perimeter


        class TestArea:
            @pytest.mark.parametrize(("w", "h", "want"), [(2, 3, 6), (1, 1, 1)])
            def test_area(self, w, h, want):
                assert area(w, h) == want


        def test_perimeter():
            assert perimeter(2, 3) == 10
        """
    )
    write(repo, {"shapes.py": source, "tests/test_shapes.py": tests})
    report = await mutation_check(repo, "HEAD", budget_s=120)
    assert [(f.function, f.killed, f.survived) for f in report.functions] == [
        ("area", 2, 0),
        ("perimeter", 3, 0),
    ]
    assert report.score == 1.0
