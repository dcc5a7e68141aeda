"""The one rule for "is this a test file": the tamper guard, the test proof and the security checklist
all ask it, so they cannot disagree about a path.

Test code is a test module (`test_*.py`, `*_test.py`, `*_test.go`, `*.test.ts`, `*.spec.js`, anything
under `__tests__/`), `conftest.py`, or anything under a `tests/`, `test/`, `__tests__/` or `spec/`
folder (fixtures and helpers included). A `testing/` folder is not: packages ship code there.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal

Language = Literal["python", "js"]

JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TEST_NAME = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec"})


def _posix(rel_path: str) -> PurePosixPath:
    return PurePosixPath(rel_path.replace("\\", "/"))


def test_language(rel_path: str) -> Language | None:
    """The language of a test module by its name, or None when the file is not a test module."""
    p = _posix(rel_path)
    if p.suffix == ".py":
        return "python" if p.name.startswith("test_") or p.stem.endswith("_test") else None
    if p.suffix in JS_SUFFIXES and (_JS_TEST_NAME.search(p.name) or "__tests__" in p.parts[:-1]):
        return "js"
    return None


def is_test_path(rel_path: str) -> bool:
    """Test modules and what supports them (conftest.py, Go tests, files in a test folder)."""
    p = _posix(rel_path)
    return (
        test_language(rel_path) is not None
        or p.name == "conftest.py"
        or p.name.endswith("_test.go")
        or bool(TEST_DIRS & set(p.parts[:-1]))
    )
