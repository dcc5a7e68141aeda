"""Checks a stack's own files name: package.json scripts (run with the project's manager, fixers in check
mode), pytest, ruff, flake8 and mypy from the Python configuration, Go's and Cargo's standard commands."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.config.sections import GateSettings
from shopfloor.env.project_env import ProjectEnv
from shopfloor.env.stacks import SKIP_DIRS, package_json
from shopfloor.gate.commands import OPERATORS, check_mode, split_segments
from shopfloor.gate.report import Check, CheckKind

_NPM_PLACEHOLDER = "no test specified"
_SCRIPTS: list[tuple[CheckKind, tuple[str, ...]]] = [
    ("build", ("build",)),
    ("lint", ("lint",)),
    ("typecheck", ("typecheck", "type-check", "types")),
    ("test", ("test",)),
]
_MANAGERS = frozenset({"npm", "pnpm", "yarn", "bun"})


@dataclass
class Found:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stack_checks(project: Path, tree: Path, settings: GateSettings, env: ProjectEnv) -> Found:
    found = Found()
    _node_checks(project, settings, env, found)
    found.checks += _python_checks(project, tree, settings, env)
    found.checks += _compiled_checks(project, settings)
    return found


def _check(
    name: str, kind: CheckKind, argv: list[str], cwd: Path, settings: GateSettings, **kw: Any
) -> Check:
    return Check(name=name, kind=kind, argv=argv, cwd=cwd, timeout_s=settings.timeout_s, **kw)


def _node_checks(project: Path, settings: GateSettings, env: ProjectEnv, found: Found) -> None:
    if not (project / "package.json").is_file():
        return
    scripts = package_json(project).get("scripts") or {}
    if not isinstance(scripts, dict):
        return
    stack = env.stack_for(project, "node")
    for kind, names in _SCRIPTS:
        name = next((n for n in names if isinstance(scripts.get(n), str) and scripts[n].strip()), None)
        if name is None or _NPM_PLACEHOLDER in scripts[name]:
            continue
        runner = stack.script(name) if stack is not None else ["npm", "run", name]
        shown = " ".join(runner)
        body = expand_scripts(scripts[name], scripts)
        mode = check_mode(body)
        if mode.command == body:
            found.checks.append(_check(shown, kind, runner, project, settings, needs="node"))
        elif mode.command is None:
            found.notes.append(f"{shown}: {mode.note}; set `[gate] commands` to run it in check mode")
        else:
            found.notes.append(f"{shown}: {mode.note}")
            found.checks.append(
                Check(
                    name=f"{shown} (check mode)",
                    kind=kind,
                    shell=mode.command,
                    cwd=project,
                    timeout_s=settings.timeout_s,
                    needs="node",
                )
            )


def expand_scripts(body: str, scripts: dict[str, Any], depth: int = 3) -> str:
    """A script's body with `npm run other` (any manager) replaced by `other`'s own body when that shows
    a fixer behind it; else the body as it is."""
    segments = split_segments(body)
    if segments is None or depth == 0:
        return body
    parts = []
    for seg in segments:
        inner = _called_script(seg, scripts)
        if inner is not None:
            parts.append(expand_scripts(inner, scripts, depth - 1))
        else:
            parts.append(seg[0] if len(seg) == 1 and seg[0] in OPERATORS else shlex.join(seg))
    expanded = " ".join(parts)
    return body if check_mode(expanded).command == expanded else expanded


def _called_script(seg: list[str], scripts: dict[str, Any]) -> str | None:
    """The body of the script `npm run X -- args` (or `pnpm X`) calls, with its extra arguments."""
    words, extra = (seg[: seg.index("--")], seg[seg.index("--") + 1 :]) if "--" in seg else (seg, [])
    name = None
    if len(words) == 3 and words[0] in _MANAGERS and words[1] == "run":
        name = words[2]
    elif len(words) == 2 and words[0] in ("pnpm", "yarn", "bun") and words[1] not in ("test", "install"):
        name = words[1]
    inner = scripts.get(name) if name else None
    if not isinstance(inner, str):
        return None
    return inner + (" " + shlex.join(extra) if extra else "")


def python_for(project: Path, settings: GateSettings, env: ProjectEnv) -> str:
    """The interpreter for Python tools: configured, else the tree's own venv, else `python3` on PATH."""
    return settings.python or env.python(project) or "python3"


def python_tool(tool: str, project: Path, settings: GateSettings, env: ProjectEnv) -> list[str]:
    """argv prefix for a Python tool: `python -m tool` in the project's venv; a standalone `tool` on PATH
    when there is no venv and no interpreter configured."""
    if settings.python is None and env.python(project) is None:
        path = env.overlay().apply({"PATH": os.environ.get("PATH", "")}).get("PATH")
        if shutil.which(tool, path=path):
            return [tool]
    return [python_for(project, settings, env), "-m", tool]


def _python_checks(project: Path, tree: Path, settings: GateSettings, env: ProjectEnv) -> list[Check]:
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

    def add(name: str, kind: CheckKind, argv: list[str], **kw: Any) -> None:
        out.append(_check(name, kind, argv, project, settings, needs="python", **kw))

    if has_tests or has_config:
        # A pytest config with no tests yet is a project that has not written any: exit 5 is fine there.
        ok = [0] if has_tests else [0, 5]
        add("pytest", "test", [*python_tool("pytest", project, settings, env), "-q"], ok_exit_codes=ok)
    if not (is_python or has_tests):
        return out
    if "ruff" in tool or (project / "ruff.toml").is_file() or (project / ".ruff.toml").is_file():
        add("ruff", "lint", [*python_tool("ruff", project, settings, env), "check", "."])
    elif (project / ".flake8").is_file() or setup_cfg.has_section("flake8") or tox.has_section("flake8"):
        add("flake8", "lint", python_tool("flake8", project, settings, env))
    mypy_cfg = tool.get("mypy") if isinstance(tool.get("mypy"), dict) else None
    mypy_ini = _ini(project / "mypy.ini") if (project / "mypy.ini").is_file() else _ini(project / ".mypy.ini")
    if mypy_cfg is not None or mypy_ini.has_section("mypy") or setup_cfg.has_section("mypy"):
        files_set = bool((mypy_cfg or {}).get("files")) or any(
            cfg.has_option("mypy", "files") for cfg in (mypy_ini, setup_cfg) if cfg.has_section("mypy")
        )
        add("mypy", "typecheck", python_tool("mypy", project, settings, env) + ([] if files_set else ["."]))
    return out


def _compiled_checks(project: Path, settings: GateSettings) -> list[Check]:
    if (project / "go.mod").is_file():
        return [
            _check("go build", "build", ["go", "build", "./..."], project, settings, needs="go"),
            _check("go vet", "lint", ["go", "vet", "./..."], project, settings, needs="go"),
            _check("go test", "test", ["go", "test", "./..."], project, settings, needs="go"),
        ]
    if (project / "Cargo.toml").is_file():
        return [
            _check("cargo build", "build", ["cargo", "build", "--offline"], project, settings, needs="rust"),
            _check("cargo test", "test", ["cargo", "test", "--offline"], project, settings, needs="rust"),
        ]
    return []


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
        if d.is_dir() and d.name not in SKIP_DIRS and not d.name.startswith(".")
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
