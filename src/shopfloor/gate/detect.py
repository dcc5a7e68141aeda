"""Which checks a tree has: its stacks' build, lint, type and test commands, config and task commands.

Task commands: the build and test commands the task queue names for the task (its own Build/Test
Command, else the queue's Project Commands) run after the configured or detected checks. Text in backticks
in an acceptance criterion runs as a check too when its first word is a known runner (see RUNNERS), e.g.
"`pytest tests/test_auth.py` passes" runs `pytest tests/test_auth.py`; anything else in backticks (names,
paths, code) is ignored.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import shlex
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

from shopfloor.config.sections import GateSettings
from shopfloor.gate.report import Check, CheckKind, GateTask, TaskCommand

RUNNERS = frozenset(
    {
        "pytest", "python", "python3", "npm", "pnpm", "yarn", "npx", "node", "go", "make", "cargo", "ruff",
        "mypy", "tox", "uv", "poetry", "bash", "sh",
    }
)  # fmt: skip
_PY_TOOLS = {"pytest", "ruff", "mypy", "flake8"}
_SHELL_META = re.compile(r"[|&;<>()$`\\\"'*?~]")
_SKIP_DIRS = {
    "node_modules",
    ".git",
    ".venv",
    "venv",
    "dist",
    "build",
    "__pycache__",
    ".orchestrator",
    "vendor",
}
_NPM_PLACEHOLDER = "no test specified"
_MAKE_KINDS: dict[str, CheckKind] = {"build": "build", "lint": "lint", "test": "test", "check": "test"}


def detect_checks(tree: Path, *, task: GateTask | None, settings: GateSettings) -> list[Check]:
    """The checks to run on `tree`: config commands or detected ones, then the task's own commands (from the
    task queue, then from its acceptance criteria)."""
    tree = tree.resolve()
    if settings.commands:
        checks = [
            Check(name=cmd, kind="custom", shell=cmd, cwd=tree, timeout_s=settings.timeout_s, source="config")
            for cmd in settings.commands
        ]
    else:
        checks = []
        for project in project_dirs(tree):
            checks += _detect_in(project, tree, settings)
    if task is not None and settings.task_commands:
        seen = {c.command for c in checks}
        own = queue_checks(tree, task.commands, settings)
        for check in own + task_checks(tree, task.acceptance_criteria, settings):
            if check.command not in seen:
                seen.add(check.command)
                checks.append(check)
    return checks


def project_dirs(tree: Path) -> list[Path]:
    """The tree's root and its first-level folders that hold a project of their own."""
    markers = ("package.json", "pyproject.toml", "setup.py", "setup.cfg", "go.mod", "Makefile", "pytest.ini")
    dirs = [tree]
    for child in sorted(tree.iterdir()):
        wanted = child.is_dir() and child.name not in _SKIP_DIRS and not child.name.startswith(".")
        if wanted and any((child / m).is_file() for m in markers):
            dirs.append(child)
    return dirs


def _detect_in(project: Path, tree: Path, settings: GateSettings) -> list[Check]:
    found = _make_checks(project, settings)
    made = {c.kind for c in found}
    others = (
        _node_checks(project, settings)
        + _python_checks(project, tree, settings)
        + _go_checks(project, settings)
    )
    # A Makefile target usually wraps the stack's own command for that kind; run it once, through make.
    return found + [c for c in others if c.kind not in made]


def _check(
    name: str, kind: CheckKind, argv: list[str], cwd: Path, settings: GateSettings, **kw: Any
) -> Check:
    return Check(name=name, kind=kind, argv=argv, cwd=cwd, timeout_s=settings.timeout_s, **kw)


def _make_checks(project: Path, settings: GateSettings) -> list[Check]:
    makefile = project / "Makefile"
    if not makefile.is_file():
        return []
    text = makefile.read_text(encoding="utf-8", errors="replace")
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE))
    return [
        _check(f"make {t}", kind, ["make", t], project, settings)
        for t, kind in _MAKE_KINDS.items()
        if t in targets
    ]


def _node_checks(project: Path, settings: GateSettings) -> list[Check]:
    pkg = project / "package.json"
    if not pkg.is_file():
        return []
    try:
        scripts = json.loads(pkg.read_text(encoding="utf-8")).get("scripts") or {}
    except (ValueError, AttributeError):
        return []
    if not isinstance(scripts, dict):
        return []
    runner = (
        "pnpm"
        if (project / "pnpm-lock.yaml").is_file()
        else "yarn"
        if (project / "yarn.lock").is_file()
        else "npm"
    )
    out = []
    kinds: list[tuple[str, CheckKind]] = [
        ("build", "build"),
        ("lint", "lint"),
        ("typecheck", "typecheck"),
        ("test", "test"),
    ]
    for script, kind in kinds:
        body = scripts.get(script)
        if not isinstance(body, str) or not body.strip() or _NPM_PLACEHOLDER in body:
            continue
        out.append(_check(f"{runner} run {script}", kind, [runner, "run", script], project, settings))
    return out


def _go_checks(project: Path, settings: GateSettings) -> list[Check]:
    if not (project / "go.mod").is_file():
        return []
    return [
        _check("go build", "build", ["go", "build", "./..."], project, settings),
        _check("go vet", "lint", ["go", "vet", "./..."], project, settings),
        _check("go test", "test", ["go", "test", "./..."], project, settings),
    ]


def python_for(project: Path, tree: Path, settings: GateSettings) -> str:
    """The interpreter for Python tools: configured, the project's venv, or the one running us."""
    if settings.python:
        return settings.python
    for base in (project, tree):
        for venv in (".venv", "venv"):
            candidate = base / venv / "bin" / "python"
            if candidate.is_file():
                return str(candidate)
    return sys.executable


def python_tool(tool: str, project: Path, tree: Path, settings: GateSettings) -> list[str]:
    """argv prefix that runs a Python tool (`python -m pytest`), falling back to one on PATH."""
    py = python_for(project, tree, settings)
    if py == sys.executable and importlib.util.find_spec(tool) is None and shutil.which(tool):
        return [tool]
    return [py, "-m", tool]


def _python_checks(project: Path, tree: Path, settings: GateSettings) -> list[Check]:
    pyproject = _toml(project / "pyproject.toml")
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    setup_cfg = _ini(project / "setup.cfg")
    tox = _ini(project / "tox.ini")
    is_python = bool(pyproject) or (project / "setup.py").is_file() or bool(setup_cfg.sections())
    has_config = (
        "pytest" in tool
        or (project / "pytest.ini").is_file()
        or setup_cfg.has_section("tool:pytest")
        or tox.has_section("pytest")
    )
    has_tests = _has_python_tests(project)
    out: list[Check] = []
    if has_tests or has_config:
        # A pytest config with no tests yet is a project that has not written any: exit 5 is fine there.
        ok = [0] if has_tests else [0, 5]
        argv = [*python_tool("pytest", project, tree, settings), "-q"]
        out.append(_check("pytest", "test", argv, project, settings, ok_exit_codes=ok))
    if not (is_python or has_tests):
        return out
    if "ruff" in tool or (project / "ruff.toml").is_file() or (project / ".ruff.toml").is_file():
        out.append(
            _check(
                "ruff",
                "lint",
                [*python_tool("ruff", project, tree, settings), "check", "."],
                project,
                settings,
            )
        )
    elif (project / ".flake8").is_file() or setup_cfg.has_section("flake8") or tox.has_section("flake8"):
        out.append(
            _check("flake8", "lint", python_tool("flake8", project, tree, settings), project, settings)
        )
    mypy_cfg = tool.get("mypy") if isinstance(tool.get("mypy"), dict) else None
    mypy_ini = _ini(project / "mypy.ini") if (project / "mypy.ini").is_file() else _ini(project / ".mypy.ini")
    if mypy_cfg is not None or mypy_ini.has_section("mypy") or setup_cfg.has_section("mypy"):
        files_set = bool((mypy_cfg or {}).get("files")) or any(
            cfg.has_option("mypy", "files") for cfg in (mypy_ini, setup_cfg) if cfg.has_section("mypy")
        )
        argv = python_tool("mypy", project, tree, settings) + ([] if files_set else ["."])
        out.append(_check("mypy", "typecheck", argv, project, settings))
    return out


def _has_python_tests(project: Path) -> bool:
    tests = project / "tests"
    if tests.is_dir() and (any(tests.rglob("test_*.py")) or any(tests.rglob("*_test.py"))):
        return True
    for path in project.glob("*.py"):
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            return True
    return any(
        p.is_file()
        for d in project.iterdir()
        if d.is_dir() and d.name not in _SKIP_DIRS and not d.name.startswith(".")
        for p in d.glob("test_*.py")
    )


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, OSError):
        return {}


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if path.is_file():
            parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        pass
    return parser


def task_checks(tree: Path, criteria: list[str], settings: GateSettings) -> list[Check]:
    """Checks for the commands written in backticks in acceptance criteria."""
    out = []
    for criterion in criteria:
        for snippet in re.findall(r"`([^`\n]+)`", criterion):
            command = snippet.strip()
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if not words or Path(words[0]).name not in RUNNERS:
                continue
            out.append(_task_check(tree, command, words, settings))
    return out


def queue_checks(tree: Path, commands: list[TaskCommand], settings: GateSettings) -> list[Check]:
    """Checks for the build and test commands the task queue names for a task."""
    out = []
    for entry in commands:
        try:
            words = shlex.split(entry.command)
        except ValueError:
            words = [entry.command]
        if not words:
            continue
        check = _task_check(tree, entry.command, words, settings)
        name = f"{entry.kind} command" + (" (project)" if entry.origin == "project" else "")
        out.append(check.model_copy(update={"kind": entry.kind, "name": name}))
    return out


def _task_check(tree: Path, command: str, words: list[str], settings: GateSettings) -> Check:
    first = Path(words[0]).name
    kind: CheckKind = "test" if first == "pytest" or "test" in words[1:2] else "custom"
    argv: list[str] | None = None
    shell: str | None = None
    if _SHELL_META.search(command):
        shell = command
    elif first in _PY_TOOLS and words[0] == first:
        argv = python_tool(first, tree, tree, settings) + words[1:]
    elif first in {"python", "python3"} and words[0] == first:
        argv = [python_for(tree, tree, settings), *words[1:]]
    else:
        argv = words
    return Check(
        name=command, kind=kind, argv=argv, shell=shell, cwd=tree, timeout_s=settings.timeout_s, source="task"
    )
