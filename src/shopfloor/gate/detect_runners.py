"""Checks a project's task runners name: Makefile and justfile targets, tox environments' commands and nox
sessions' `session.run(...)` calls."""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from shopfloor.gate.commands import TARGET_KINDS, command_kind
from shopfloor.gate.report import CheckKind

_ENV_KINDS: list[tuple[re.Pattern[str], CheckKind]] = [
    (re.compile(r"^(py\d*|tests?|unit)$"), "test"),
    (re.compile(r"^(lint|style|flake8|ruff|pre-commit)$"), "lint"),
    (re.compile(r"^(type|types|typing|typecheck|mypy|pyright)$"), "typecheck"),
]


@dataclass(frozen=True)
class RunnerCommand:
    runner: str
    """make, just, tox or nox."""
    name: str
    kind: CheckKind
    argv: list[str] | None = None
    shell: str | None = None


def runner_commands(project: Path) -> list[RunnerCommand]:
    """What the project's task runners say to run, Makefile first."""
    return _make(project) + _just(project) + _tox(project) + _nox(project)


def _make(project: Path) -> list[RunnerCommand]:
    path = next(
        (project / n for n in ("Makefile", "makefile", "GNUmakefile") if (project / n).is_file()), None
    )
    if path is None:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE))
    return [
        RunnerCommand("make", f"make {t}", k, argv=["make", t])
        for t, k in TARGET_KINDS.items()
        if t in targets
    ]


def _first(project: Path, names: tuple[str, ...]) -> Path | None:
    return next((project / n for n in names if (project / n).is_file()), None)


def _just(project: Path) -> list[RunnerCommand]:
    path = _first(project, ("justfile", "Justfile", ".justfile"))
    if path is None:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    recipes = set(re.findall(r"^@?([A-Za-z_][\w-]*)(?:\s+[^:=\n]*)?\s*:(?!=)", text, re.MULTILINE))
    return [
        RunnerCommand("just", f"just {t}", k, argv=["just", t])
        for t, k in TARGET_KINDS.items()
        if t in recipes
    ]


def _env_kind(name: str) -> CheckKind | None:
    for pattern, kind in _ENV_KINDS:
        if pattern.match(name):
            return kind
    return None


def _tox(project: Path) -> list[RunnerCommand]:
    path = project / "tox.ini"
    if not path.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return []
    out: list[RunnerCommand] = []
    for section in parser.sections():
        if section == "testenv":
            kind: CheckKind | None = "test"
        elif section.startswith("testenv:"):
            kind = _env_kind(section.removeprefix("testenv:"))
        else:
            continue
        if kind is None or not parser.has_option(section, "commands"):
            continue
        for line in parser.get(section, "commands").splitlines():
            command = _tox_line(line)
            if command:
                out.append(RunnerCommand("tox", f"tox {section}: {command}", kind, shell=command))
    return out


def _tox_line(line: str) -> str | None:
    line = line.strip().lstrip("-!").strip()
    if not line or line.startswith("#"):
        return None
    for token, value in (("{posargs}", ""), ("{toxinidir}", "."), ("{envpython}", "python")):
        line = line.replace(token, value)
    line = re.sub(r"\{posargs:([^}]*)\}", r"\1", line).strip()
    return None if "{" in line or not line else line


def _nox(project: Path) -> list[RunnerCommand]:
    path = project / "noxfile.py"
    if not path.is_file():
        return []
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return []
    out: list[RunnerCommand] = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        name = _session_name(fn)
        kind = _env_kind(name) if name else None
        if kind is None:
            continue
        for node in ast.walk(fn):
            argv = _session_run(node)
            if argv:
                command = shlex.join(argv)
                out.append(
                    RunnerCommand("nox", f"nox {name}: {command}", command_kind(argv) or kind, argv=argv)
                )
    return out


def _session_name(fn: ast.FunctionDef) -> str | None:
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if (isinstance(target, ast.Attribute) and target.attr == "session") or (
            isinstance(target, ast.Name) and target.id == "session"
        ):
            if isinstance(deco, ast.Call):
                for kw in deco.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        return str(kw.value.value)
            return fn.name
    return None


def _session_run(node: ast.AST) -> list[str] | None:
    """The literal argv of a `session.run("pytest", "-q", *session.posargs)` call."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run"):
        return None
    argv: list[str] = []
    for arg in node.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            argv.append(arg.value)
        elif isinstance(arg, ast.Starred):
            continue  # *session.posargs: nothing extra at the gate
        else:
            return None
    return argv or None
