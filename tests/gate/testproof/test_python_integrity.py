"""Test-integrity rules on Python tests a change adds or edits, checked in real git repositories."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from shopfloor.gate.testproof import check_test_integrity
from tests.gate.testproof.gitrepo import commit_all, init_repo, marked_line, write

BASE = {
    "app/__init__.py": "",
    "app/service.py": (
        "def compute(x):\n    return x * 2\n\n\ndef fetch():\n    return 1\n\n\n"
        "def total():\n    return fetch() + 1\n"
    ),
    "tests/support.py": (
        "from app.service import compute\n\n\ndef doubles(x):\n    assert compute(x) == 2 * x\n"
    ),
    "tests/test_existing.py": (
        "import pytest\n"
        "from app.service import compute\n\n\n"
        "def test_smoke():\n    compute(1)\n\n\n"
        "@pytest.mark.skip(reason='flaky on CI')\n"
        "def test_old_skip():\n    assert compute(2) == 4\n\n\n"
        "def test_double():\n    assert compute(3) == 6\n"
    ),
}

HEAD = (
    "import pytest\nimport unittest\nfrom unittest import mock\n"
    "from app import service\nfrom app.service import compute\n\n\n"
)

# (name, test body, rule it must raise); `# <-` marks the line the finding must point at.
CHEATS = [
    ("no assertion", "def test_compute():  # <-\n    compute(2)\n", "TI001"),
    ("assert True", "def test_compute():\n    compute(2)\n    assert True  # <-\n", "TI002"),
    ("literal comparison", "def test_compute():\n    compute(2)\n    assert 1 == 1  # <-\n", "TI002"),
    ("self comparison", "def test_compute():\n    got = compute(2)\n    assert got == got  # <-\n", "TI002"),
    (
        "unittest assertTrue(True)",
        "class TestCompute(unittest.TestCase):\n    def test_it(self):\n        compute(2)\n"
        "        self.assertTrue(True)  # <-\n",
        "TI002",
    ),
    (
        "except Exception: pass",
        "def test_compute():\n    try:\n        assert compute(2) == 5\n"
        "    except Exception:  # <-\n        pass\n",
        "TI003",
    ),
    (
        "bare except returns",
        "def test_compute():\n    try:\n        assert compute(2) == 5\n    except:  # <-\n        return\n",
        "TI003",
    ),
    (
        "connection refused accepted",
        "def test_fetch():\n    try:\n        assert service.fetch() == 1\n"
        "    except Exception as e:  # <-\n        assert 'Connection refused' in str(e)\n",
        "TI003",
    ),
    (
        "ConnectionError swallowed",
        "def test_fetch():\n    try:\n        assert service.fetch() == 1\n"
        "    except ConnectionError:  # <-\n        print('service down')\n",
        "TI003",
    ),
    (
        "suppress(Exception)",
        "import contextlib\n\ndef test_compute():\n    with contextlib.suppress(Exception):  # <-\n"
        "        assert compute(2) == 5\n",
        "TI003",
    ),
    (
        "mark.skip",
        "@pytest.mark.skip(reason='later')  # <-\ndef test_compute():\n    assert compute(2) == 4\n",
        "TI004",
    ),
    (
        "mark.skipif",
        "@pytest.mark.skipif(True, reason='x')  # <-\ndef test_compute():\n    assert compute(2) == 4\n",
        "TI004",
    ),
    ("mark.xfail", "@pytest.mark.xfail  # <-\ndef test_compute():\n    assert compute(2) == 5\n", "TI004"),
    (
        "pytest.skip()",
        "def test_compute():\n    pytest.skip('todo')  # <-\n    assert compute(2) == 4\n",
        "TI004",
    ),
    (
        "unittest.skip",
        "class TestCompute(unittest.TestCase):\n    @unittest.skip('later')  # <-\n    def test_it(self):\n"
        "        self.assertEqual(compute(2), 4)\n",
        "TI004",
    ),
    (
        "module pytestmark",
        "pytestmark = pytest.mark.skip  # <-\n\ndef test_compute():\n    assert compute(2) == 4\n",
        "TI004",
    ),
    (
        "mock.patch of the unit",
        "@mock.patch('app.service.compute', return_value=5)  # <-\ndef test_compute(m):\n"
        "    assert service.compute(2) == 5\n",
        "TI007",
    ),
    (
        "patched unit called by its bare name",
        "def test_compute():\n    with mock.patch('app.service.compute', return_value=5):  # <-\n"
        "        result = compute(2)\n    assert result == 5\n",
        "TI006",
    ),
    (
        "monkeypatch.setattr of the unit",
        "def test_compute(monkeypatch):\n    monkeypatch.setattr(service, 'compute', lambda x: 5)  # <-\n"
        "    assert service.compute(2) == 5\n",
        "TI007",
    ),
    (
        "patch.object, then the patch asserted",
        "def test_compute():\n    with mock.patch.object(service, 'compute', return_value=6):  # <-\n"
        "        assert service.compute(2) == 6\n",
        "TI007",
    ),
    (
        "result compared with itself",
        "def test_compute():\n    assert compute(2) == compute(2)  # <-\n",
        "TI002",
    ),
    (
        "assertEqual of one call with itself",
        "class TestCompute(unittest.TestCase):\n    def test_it(self):\n"
        "        self.assertEqual(service.compute(2), service.compute(2))  # <-\n",
        "TI002",
    ),
    (
        "or True",
        "def test_compute():\n    assert isinstance(compute(2), int) or True  # <-\n",
        "TI008",
    ),
    (
        "len(x) >= 0",
        "def test_compute():\n    got = [compute(2)]\n    assert len(got) >= 0  # <-\n",
        "TI008",
    ),
    (
        "is not None right after constructing",
        "class Calc:\n    pass\n\n\ndef test_compute():\n    calc = Calc()\n"
        "    assert calc is not None  # <-\n",
        "TI008",
    ),
    (
        "assertIsNotNone on a dict the test built",
        "class TestCompute(unittest.TestCase):\n    def test_it(self):\n"
        "        got = {'x': compute(2)}\n        self.assertIsNotNone(got)  # <-\n",
        "TI008",
    ),
]

CLEAN = HEAD + dedent(
    """\
    import contextlib


    def _assert_doubled(x):
        assert compute(x) == 2 * x


    def test_compute():
        assert compute(2) == 4


    def test_helper_asserts():
        _assert_doubled(5)


    def test_raises():
        with pytest.raises(TypeError):
            compute(None)


    def test_dependency_patched(monkeypatch):
        monkeypatch.setattr(service, "fetch", lambda: 41)
        assert service.total() == 42


    def test_mock_called():
        with mock.patch("app.service.fetch") as fake:
            fake.return_value = 1
            service.total()
        fake.assert_called_once_with()


    def test_clock_patched_expectation():
        with mock.patch("time.time", return_value=3.0):
            import time
            assert time.time() + compute(1) == 5.0


    def test_expected_error_message():
        try:
            compute(None)
            pytest.fail("no error")
        except Exception as e:
            assert "NoneType" in str(e)


    def test_errors_collected():
        errors = []
        for x in (1, 2):
            try:
                compute(x)
            except Exception as e:
                errors.append(e)
        assert not errors


    def test_specific_error_ignored():
        try:
            compute(None)
        except TypeError:
            pass
        assert compute(1) == 2


    def test_failure_on_purpose_in_branch():
        if compute(1) != 2:
            assert False, "wrong"


    def test_dependency_patched_unit_called():
        with mock.patch.object(service, "fetch", return_value=5):
            assert service.total() == 6


    def test_results_that_could_be_wrong():
        got = service.compute(2)
        assert got is not None
        assert isinstance(compute(2), int)
        assert compute(2) == 4 or compute(2) == 5
        assert len([compute(1)]) == 1
        assert compute(1) != compute(2)


    class TestUnit(unittest.TestCase):
        def test_equal(self):
            self.assertEqual(compute(3), 6)

        def _check_state(self):
            self.assertEqual(compute(0), 0)

        def _run_twice(self, fn):
            fn()
            fn()

        def test_helper_handed_over(self):
            self._run_twice(self._check_state)

        def test_deliberate_failure_in_else(self):
            try:
                compute(None)
            except TypeError:
                pass
            else:
                self.assertEqual(False, "No error raised")

        def test_handler_in_a_nested_class_is_not_the_tests_own(self):
            class Quiet:
                def __getattr__(self, name):
                    try:
                        raise KeyError(name)
                    except:
                        pass
                    return 0

            self.assertEqual(Quiet().anything, 0)


    def test_imported_helper_asserts():
        from tests.support import doubles

        doubles(4)


    def test_imported_helper_at_module_level():
        assert_doubled_via_support(3)


    from support import doubles as assert_doubled_via_support
    from support import doubles as twice_ok


    def test_helper_imported_by_sibling_name():
        twice_ok(6)
    """
)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body", "rule"), CHEATS, ids=[c[0] for c in CHEATS])
async def test_each_cheat_is_caught(tmp_path: Path, name: str, body: str, rule: str) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    text = HEAD + body
    write(repo, {"tests/test_new.py": text})
    report = await check_test_integrity(repo, base_ref="HEAD")
    got = [(f.rule_id, f.file, f.line) for f in report.findings]
    assert got == [(rule, "tests/test_new.py", marked_line(text, "# <-"))], name
    finding = report.findings[0]
    assert finding.fix_hint
    assert finding.severity == ("medium" if rule == "TI006" else "high")
    assert report.passed is (rule == "TI006")


@pytest.mark.anyio
async def test_clean_tests_have_no_findings(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    write(repo, {"tests/test_clean.py": CLEAN})
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert report.files == ["tests/test_clean.py"]
    assert report.findings == []
    assert report.passed


@pytest.mark.anyio
async def test_only_changed_tests_are_judged_and_old_skips_are_not_reported(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    edited = BASE["tests/test_existing.py"].replace("compute(3) == 6", "compute(4) == 8")
    edited += "\n\ndef test_new_one():\n    assert compute(5) == 10\n"
    write(repo, {"tests/test_existing.py": edited})
    report = await check_test_integrity(repo, base_ref="HEAD")
    # test_smoke asserts nothing and test_old_skip is skipped, but the change touched neither.
    assert report.files == ["tests/test_existing.py"]
    assert report.findings == []


@pytest.mark.anyio
async def test_skip_added_to_an_existing_test_is_reported_against_a_committed_base(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    text = BASE["tests/test_existing.py"].replace(
        "def test_double():", "@pytest.mark.xfail(reason='odd')\ndef test_double():"
    )
    write(repo, {"tests/test_existing.py": text, "app/service.py": BASE["app/service.py"] + "\n# touched\n"})
    commit_all(repo, "task work")
    report = await check_test_integrity(repo, base_ref="HEAD~1")
    assert [(f.rule_id, f.line) for f in report.findings] == [("TI004", marked_line(text, "xfail"))]
    assert report.files == ["tests/test_existing.py"]  # app/service.py is not a test module


@pytest.mark.anyio
async def test_explicit_files_are_judged_whole(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    report = await check_test_integrity(repo, files=[repo / "tests/test_existing.py"])
    text = BASE["tests/test_existing.py"]
    got = {(f.rule_id, f.line) for f in report.findings}
    assert got == {("TI001", marked_line(text, "def test_smoke")), ("TI004", marked_line(text, "mark.skip"))}


@pytest.mark.anyio
async def test_unparsable_test_module_is_reported_not_crashed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    write(repo, {"tests/test_broken.py": "def test_x(:\n    pass\n"})
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert [(f.rule_id, f.severity) for f in report.findings] == [("TI000", "low")]
