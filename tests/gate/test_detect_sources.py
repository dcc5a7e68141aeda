"""Where the gate's checks come from: CI workflows and task runners before the stacks' own files, fixers
in check mode, each kind of check taken once per folder from the first source that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.config.sections import GateSettings
from shopfloor.gate.commands import check_mode, command_kind
from shopfloor.gate.detect import detect

SETTINGS = GateSettings(python="/opt/py/bin/python")

WORKFLOW = """
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
        ports: ["5433:5432"]
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: |
          ruff check .
          pytest -q tests/unit \\
            --maxfail=1
          python -m build
      - run: echo ${{ secrets.TOKEN }} | docker login
      - name: web
        working-directory: web
        run: npm ci && npm test
      - run: cd web && npm run lint
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_ci_steps_that_are_checks_run_where_ci_runs_them(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            ".github/workflows/ci.yml": WORKFLOW,
            "requirements.txt": "pytest\n",
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "pyproject.toml": "[tool.ruff]\n",
            "web/package.json": json.dumps({"scripts": {"test": "node --test", "lint": "eslint ."}}),
        },
    )
    found = detect(root, task=None, settings=SETTINGS)
    shown = [(c.command, c.kind, c.cwd.name, c.source) for c in found.checks]
    assert shown == [
        ("ruff check .", "lint", "p", "ci"),
        ("pytest -q tests/unit --maxfail=1", "test", "p", "ci"),
        ("npm test", "test", "web", "ci"),  # setup has installed already
        ("cd web && npm run lint", "lint", "p", "ci"),
        # web's lint was run by CI from the root: its own lint script is a second, separate check
        ("npm run lint", "lint", "web", "detected"),
    ]
    assert found.service_ports == {5433: "PostgreSQL"}


def test_gitlab_ci_script_lines(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {".gitlab-ci.yml": "test:\n  script:\n    - go vet ./...\n    - go test ./...\n"},
    )
    assert [(c.command, c.kind) for c in detect(root, task=None, settings=SETTINGS).checks] == [
        ("go vet ./...", "lint"),
        ("go test ./...", "test"),
    ]


def test_task_runners_come_before_the_stacks_own_commands(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            "justfile": "set shell := ['bash', '-c']\n\nlint:\n    ruff check .\n\n"
            "test *ARGS:\n    pytest {{ARGS}}\n",
            "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ncommands =\n    pytest -q {posargs}\n"
            "[testenv:typing]\ncommands = mypy src\n[testenv:docs]\ncommands = sphinx-build docs out\n",
            "pyproject.toml": "[tool.ruff]\n[tool.mypy]\n",
            "tests/test_a.py": "def test_a(): pass\n",
        },
    )
    checks = detect(root, task=None, settings=SETTINGS).checks
    assert [(c.name, c.kind, c.source) for c in checks] == [
        ("just lint", "lint", "runner"),
        ("just test", "test", "runner"),
        ("tox testenv:typing: mypy src", "typecheck", "runner"),
    ]


def test_nox_sessions_calls_run_as_checks(tmp_path: Path) -> None:
    noxfile = (
        "import nox\n\n@nox.session\ndef tests(session):\n    session.install('.')\n"
        "    session.run('pytest', '-q', *session.posargs)\n\n"
        "@nox.session(name='lint')\ndef check_style(session):\n    session.run('ruff', 'check', 'src')\n\n"
        "@nox.session\ndef docs(session):\n    session.run('sphinx-build', 'docs', 'out')\n"
    )
    root = write(tmp_path / "p", {"noxfile.py": noxfile})
    checks = detect(root, task=None, settings=SETTINGS).checks
    assert [(c.command, c.kind) for c in checks] == [("pytest -q", "test"), ("ruff check src", "lint")]


def test_fixer_scripts_run_in_check_mode_or_are_skipped_with_a_note(tmp_path: Path) -> None:
    scripts = {
        "lint": "eslint . --fix && prettier --write src",
        "typecheck": "npm run types:fix",
        "types:fix": "gofmt -w .",
        "test": "node --test",
    }
    root = write(tmp_path / "p", {"package.json": json.dumps({"scripts": scripts})})
    found = detect(root, task=None, settings=SETTINGS)
    assert [(c.name, c.command) for c in found.checks] == [
        ("npm run lint (check mode)", "eslint . && prettier src --check"),
        ("npm run test", "npm run test"),
    ]
    assert any("ran `eslint . && prettier src --check` instead" in n for n in found.notes)
    assert any(n.startswith("npm run typecheck: skipped") and "gofmt -w ." in n for n in found.notes)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ruff check --fix .", "ruff check ."),
        ("ruff format", "ruff format --check"),
        ("black src", "black src --check"),
        ("isort .", "isort . --check-only"),
        ("npx biome check --write ./src", "npx biome check ./src"),
        ("cargo fmt", "cargo fmt --check"),
        ("cargo clippy --fix -- -D warnings", "cargo clippy -- -D warnings"),
        ("npm run lint -- --fix", "npm run lint --"),
        ("eslint .", "eslint ."),
        ("prettier --check .", "prettier --check ."),
    ],
)
def test_check_mode_of_common_fixers(command: str, expected: str) -> None:
    assert check_mode(command).command == expected


def test_fixers_too_complex_to_rewrite_are_skipped() -> None:
    assert check_mode("eslint $(git ls-files '*.js') --fix").command is None
    assert check_mode("go fmt ./...").command is None
    assert check_mode("echo $(date)").command == "echo $(date)"  # not a fixer: left as it is


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("uv run pytest -q", "test"),
        ("poetry run mypy src", "typecheck"),
        ("npx tsc --noEmit", "typecheck"),
        ("pnpm lint", "lint"),
        ("yarn test:unit", "test"),
        ("bun test", "test"),
        ("make check", "test"),
        ("CI=1 go test ./...", "test"),
        ("npm ci", None),
        ("pip install -e .", None),
        ("npm run dev", None),
        ("docker compose up -d", None),
    ],
)
def test_command_kinds(command: str, kind: str | None) -> None:
    assert command_kind(command.split()) == kind
