"""One rule for test files: the tamper guard, the test proof and the checklist agree on every path."""

from __future__ import annotations

import pytest

from shopfloor.gate.findings import Finding, soften_for_tests
from shopfloor.gate.tamper import protection
from shopfloor.gate.testfiles import is_test_path
from shopfloor.gate.testfiles import test_language as language_of
from shopfloor.tools.globs import GlobSyntaxError, glob_to_regex, path_glob_match

TEST_CODE = [
    "tests/test_api.py", "backend/tests/helpers.py", "app/test_models.py", "app/models_test.py",
    "conftest.py", "pkg/conftest.py", "src/api.test.ts", "web/__tests__/page.jsx", "spec/user_spec.rb",
    "handler_test.go", "test/fixtures/data.json",
]  # fmt: skip
NOT_TEST_CODE = ["app/main.py", "testing/util.py", "src/testing.ts", "contest.py", "docs/tests.md"]


@pytest.mark.parametrize("path", TEST_CODE)
def test_test_code_is_test_code_to_every_part_of_the_gate(path: str) -> None:
    assert is_test_path(path)
    assert protection(path, []) == "existing test file"
    finding = Finding(rule_id="r", severity="high", file=path, line=1, message="m", fix_hint="f")
    assert soften_for_tests(finding).severity == "medium"


@pytest.mark.parametrize("path", NOT_TEST_CODE)
def test_other_code_is_not_test_code_to_any_part_of_the_gate(path: str) -> None:
    assert not is_test_path(path)
    assert protection(path, []) is None
    finding = Finding(rule_id="r", severity="high", file=path, line=1, message="m", fix_hint="f")
    assert soften_for_tests(finding).severity == "high"


def test_test_modules_know_their_language() -> None:
    assert language_of("tests/test_x.py") == "python"
    assert language_of("src/x.spec.mts") == "js"
    assert language_of("tests/helpers.py") is None  # support code, not a test module


def test_the_shared_glob_translator() -> None:
    assert path_glob_match("tests/**", "backend/tests/deep/x.py")
    assert not path_glob_match("/tests/**", "backend/tests/x.py")
    assert path_glob_match(".github/workflows/**", ".github/workflows/ci.yml")
    assert path_glob_match("*.{yml,yaml}", "deploy/app.yaml")
    assert path_glob_match("src/[a-c]*.py", "src/b_mod.py") and not path_glob_match(
        "src/[a-c]*.py", "src/d.py"
    )
    with pytest.raises(GlobSyntaxError):
        glob_to_regex("src/{a,b", strict=True)
    assert glob_to_regex("src/{a,b", strict=False)  # gitignore files take it as it comes
