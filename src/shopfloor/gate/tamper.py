"""Test-tamper guard: a task may add tests, but not edit or delete existing tests, CI or lint config."""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from shopfloor.config.sections import GateSettings
from shopfloor.gate.gitdiff import DiffEntry, diff_entries, file_diff, show_file
from shopfloor.gate.report import GateTask, TamperFinding
from shopfloor.gate.testfiles import is_test_path
from shopfloor.tools.globs import path_glob_match

CI_GLOBS = (
    ".github/workflows/**",
    ".ci/**",
    ".gitlab-ci.yml",
    ".circleci/**",
    "Jenkinsfile",
    "azure-pipelines.yml",
)
CONFIG_GLOBS = (
    "tox.ini", ".flake8", "ruff.toml", ".ruff.toml", "mypy.ini", ".mypy.ini", "pytest.ini", ".eslintrc*",
    "eslint.config.*", "jest.config.*", "vitest.config.*", "tsconfig.json", ".pre-commit-config.yaml",
)  # fmt: skip
# Files that hold other things too: only their test/lint sections are protected.
_PYPROJECT_TOOLS = ("pytest", "ruff", "mypy", "coverage", "pyright", "flake8")
_SETUP_CFG_SECTIONS = re.compile(r"^(tool:pytest|flake8|mypy(-.*)?|pycodestyle|coverage:.*|isort)$")
_PACKAGE_KEYS = ("jest", "eslintConfig", "vitest")
_PACKAGE_SCRIPTS = ("test", "lint", "typecheck")
_DIFF_LIMIT = 3000


# shopfloor's and Claude Code's configuration: it decides how later runs confine and judge agents, so
# no task may add, change or delete it (the sandbox keeps what exists read-only; this catches the rest).
HARNESS_CONFIG_GLOBS = ("shopfloor.toml", ".shopfloor/**", ".claude/**", ".mcp.json")
HARNESS_CONFIG = "shopfloor or Claude Code configuration, which agents may not change"


def protection(path: str, extra: list[str]) -> str | None:
    """Why `path` is protected (a reason for the report), or None."""
    if is_test_path(path):
        return "existing test file"
    if any(path_glob_match(g, path) for g in CI_GLOBS):
        return "CI configuration"
    if any(path_glob_match(g, path) for g in CONFIG_GLOBS):
        return "lint/type/test configuration"
    if any(path_glob_match(g, path) for g in extra):
        return "protected path"
    return None


async def find_tampering(
    tree: Path,
    base: str,
    head_tree: str,
    *,
    task: GateTask | None,
    settings: GateSettings,
    entries: list[DiffEntry] | None = None,
) -> list[TamperFinding]:
    """Protected files the diff from `base` to `head_tree` modified, deleted or renamed away, and any
    change to shopfloor's configuration (checked even with `tamper_guard` off). `entries`: that diff, when
    the caller has read it already."""
    waived = task is not None and task.may_change_tests
    always = list(task.protected_paths) if task is not None else []
    out: list[TamperFinding] = []
    for entry in entries if entries is not None else await diff_entries(tree, base, head_tree):
        path = entry.old_path or entry.path
        harness = await _harness_config(tree, base, head_tree, entry)
        if harness is not None:
            diff = await file_diff(tree, base, head_tree, entry.path, entry.old_path)
            out.append(
                TamperFinding(path=entry.path, change=_change(entry.status), reason=harness, diff=_cut(diff))
            )
            continue
        if entry.status in {"A", "C"} or not settings.tamper_guard:
            continue
        reason = None
        if any(path_glob_match(g, path) for g in always):
            reason = "protected path of another task"
        elif not waived:
            reason = protection(path, settings.protected_paths) or await _mixed_config(
                tree, base, head_tree, entry
            )
        if reason is None:
            continue
        diff = await file_diff(tree, base, head_tree, entry.path, entry.old_path)
        out.append(TamperFinding(path=path, change=_change(entry.status), reason=reason, diff=_cut(diff)))
    return out


def _change(status: str) -> Literal["added", "modified", "deleted", "renamed"]:
    if status in {"A", "C"}:
        return "added"
    return "deleted" if status == "D" else "renamed" if status == "R" else "modified"


async def _harness_config(tree: Path, base: str, head_tree: str, entry: DiffEntry) -> str | None:
    """A reason when the entry adds, changes or removes shopfloor's or Claude Code's configuration."""
    paths = [p for p in (entry.path, entry.old_path) if p]
    if any(path_glob_match(g, p) for g in HARNESS_CONFIG_GLOBS for p in paths):
        return HARNESS_CONFIG
    if PurePosixPath(entry.path).name != "pyproject.toml":
        return None
    old = None if entry.status in {"A", "C"} else await show_file(tree, base, entry.old_path or entry.path)
    new = await show_file(tree, head_tree, entry.path) if entry.status != "D" else None
    if _pyproject_table(old, "shopfloor") != _pyproject_table(new, "shopfloor"):
        return f"{HARNESS_CONFIG} ([tool.shopfloor] in pyproject.toml)"
    return None


def _pyproject_table(text: str | None, name: str) -> Any:
    try:
        tool = tomllib.loads(text or "").get("tool", {})
    except tomllib.TOMLDecodeError:
        return {"unreadable": text}
    return tool.get(name) if isinstance(tool, dict) else None


async def _mixed_config(tree: Path, base: str, head_tree: str, entry: DiffEntry) -> str | None:
    """For pyproject.toml, setup.cfg and package.json: a reason only when their test/lint parts changed."""
    name = PurePosixPath(entry.path).name
    if name not in {"pyproject.toml", "setup.cfg", "package.json"}:
        return None
    old = await show_file(tree, base, entry.old_path or entry.path)
    new = await show_file(tree, head_tree, entry.path) if entry.status != "D" else None
    if name == "pyproject.toml":
        before, after = _pyproject_parts(old), _pyproject_parts(new)
        what = "pytest/ruff/mypy settings in pyproject.toml"
    elif name == "setup.cfg":
        before, after = _setup_cfg_parts(old), _setup_cfg_parts(new)
        what = "test/lint sections of setup.cfg"
    else:
        before, after = _package_parts(old), _package_parts(new)
        what = "test/lint scripts or config in package.json"
    return f"lint/type/test configuration ({what})" if before != after else None


def _pyproject_parts(text: str | None) -> dict[str, Any]:
    try:
        tool = tomllib.loads(text or "").get("tool", {})
    except tomllib.TOMLDecodeError:
        return {"unreadable": text}
    return {k: tool.get(k) for k in _PYPROJECT_TOOLS} if isinstance(tool, dict) else {}


def _setup_cfg_parts(text: str | None) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text or "")
    except configparser.Error:
        return {"unreadable": text}
    return {s: dict(parser.items(s)) for s in parser.sections() if _SETUP_CFG_SECTIONS.match(s)}


def _package_parts(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {"unreadable": text}
    if not isinstance(data, dict):
        return {}
    raw = data.get("scripts")
    scripts: dict[str, Any] = raw if isinstance(raw, dict) else {}
    parts = {k: data.get(k) for k in _PACKAGE_KEYS}
    parts.update({f"scripts.{k}": scripts.get(k) for k in _PACKAGE_SCRIPTS})
    return parts


def _cut(diff: str) -> str:
    if len(diff) <= _DIFF_LIMIT:
        return diff
    return diff[:_DIFF_LIMIT] + f"\n[... {len(diff) - _DIFF_LIMIT} more characters of diff ...]\n"
