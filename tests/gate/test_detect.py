"""Which checks the gate finds for each stack, and which task commands it takes from the criteria."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shopfloor.config.sections import GateSettings
from shopfloor.gate.detect import detect_checks
from shopfloor.gate.report import GateTask

SETTINGS = GateSettings()
CONFIGURED = GateSettings(python="/opt/py/bin/python")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def commands(root: Path, task: GateTask | None = None, settings: GateSettings = SETTINGS) -> list[str]:
    return [c.command for c in detect_checks(root, task=task, settings=settings)]


def package(scripts: dict[str, str]) -> str:
    return json.dumps({"name": "x", "scripts": scripts})


def test_package_scripts_use_the_lockfiles_runner_and_skip_npms_placeholder(tmp_path: Path) -> None:
    npm_default = 'echo "Error: no test specified" && exit 1'
    write(tmp_path / "a", {"package.json": package({"build": "tsc", "test": npm_default, "start": "node ."})})
    assert commands(tmp_path / "a") == ["npm run build"]
    write(
        tmp_path / "b",
        {"package.json": package({"lint": "eslint .", "test": "vitest"}), "pnpm-lock.yaml": ""},
    )
    assert commands(tmp_path / "b") == ["pnpm run lint", "pnpm run test"]
    write(tmp_path / "c", {"package.json": package({"test": "jest"}), "yarn.lock": ""})
    assert commands(tmp_path / "c") == ["yarn run test"]


def test_python_tools_follow_the_projects_configuration(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "p"\n[tool.ruff]\nline-length = 100\n'
            '[tool.mypy]\nfiles = ["src"]\n',
            "tests/test_x.py": "def test_x() -> None:\n    pass\n",
        },
    )
    checks = detect_checks(root, task=None, settings=CONFIGURED)
    assert [(c.name, c.kind) for c in checks] == [("pytest", "test"), ("ruff", "lint"), ("mypy", "typecheck")]
    assert checks[0].argv == ["/opt/py/bin/python", "-m", "pytest", "-q"]
    assert checks[2].argv is not None and checks[2].argv[-1] == "mypy"  # `files` is configured: no target


def test_without_a_venv_python_tools_never_run_on_shopfloors_own_interpreter(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"pytest.ini": "[pytest]\n", "tests/test_x.py": "def test_x():\n    pass\n"})
    [check] = detect_checks(root, task=None, settings=SETTINGS)
    assert check.argv is not None and sys.executable not in check.argv
    assert check.argv[:1] == ["pytest"] or check.argv[:3] == ["python3", "-m", "pytest"]


def test_project_venv_is_preferred_and_flake8_needs_its_config(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            "setup.cfg": "[flake8]\nmax-line-length = 100\n[mypy]\nstrict = True\n",
            "test_app.py": "",
            "app.py": "",
        },
    )
    venv_python = root / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    checks = detect_checks(root, task=None, settings=SETTINGS)
    assert [c.name for c in checks] == ["pytest", "flake8", "mypy"]
    assert all(c.argv and c.argv[0] == str(venv_python) for c in checks)
    assert checks[2].argv is not None and checks[2].argv[-1] == "."


def test_no_tests_and_no_config_means_no_pytest(tmp_path: Path) -> None:
    write(tmp_path / "p", {"pyproject.toml": '[project]\nname = "p"\n', "app.py": "x = 1\n"})
    assert commands(tmp_path / "p") == []
    write(tmp_path / "q", {"pytest.ini": "[pytest]\n", "app.py": "x = 1\n"})
    [check] = detect_checks(tmp_path / "q", task=None, settings=SETTINGS)
    assert check.ok_exit_codes == [0, 5]  # configured but no tests written yet


def test_go_and_makefile_targets(tmp_path: Path) -> None:
    write(tmp_path / "g", {"go.mod": "module x\n"})
    assert commands(tmp_path / "g") == ["go build ./...", "go vet ./...", "go test ./..."]
    write(
        tmp_path / "m",
        {"Makefile": "VAR := 1\nbuild:\n\tcc x.c\ntest: build\n\t./x\ninstall:\n\tcp x /usr\n"},
    )
    assert commands(tmp_path / "m") == ["make build", "make test"]


def test_makefile_target_stands_in_for_the_stacks_command_of_that_kind(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p", {"Makefile": "test:\n\tpytest\n", "tests/test_a.py": "", "go.mod": "module x\n"}
    )
    assert commands(root) == ["make test", "go build ./...", "go vet ./..."]


def test_subfolder_projects_run_in_their_folder(tmp_path: Path) -> None:
    root = write(tmp_path / "mono", {"api/package.json": package({"test": "node --test"}), "README.md": ""})
    [check] = detect_checks(root, task=None, settings=SETTINGS)
    assert check.command == "npm run test" and check.cwd == root.resolve() / "api"


def test_backticked_runner_commands_become_task_checks(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"package.json": package({"test": "node --test"})})
    task = GateTask(
        id="T-1",
        acceptance_criteria=[
            "`pytest tests/test_auth.py` passes and `npm test` too",
            "uses `bcrypt` and the `users` table; `src/app.py` exists",
            "`curl localhost:8000/health` answers",  # curl is not a runner
            "`npm run test` passes",  # already detected: runs once
            "`make lint && make test` is clean",
        ],
    )
    checks = detect_checks(root, task=task, settings=CONFIGURED)
    assert [(c.name, c.source) for c in checks] == [
        ("npm run test", "detected"),
        ("pytest tests/test_auth.py", "task"),
        ("npm test", "task"),
        ("make lint && make test", "task"),
    ]
    assert checks[1].argv == ["/opt/py/bin/python", "-m", "pytest", "tests/test_auth.py"]
    assert checks[3].shell == "make lint && make test"
    off = GateSettings(task_commands=False)
    assert commands(root, task, off) == ["npm run test"]


def test_config_commands_replace_detection_but_task_commands_stay(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"package.json": package({"test": "node --test"}), "go.mod": "module x\n"})
    settings = GateSettings(commands=["make ci"])
    task = GateTask(id="T-1", acceptance_criteria=["`go test ./pkg/...` passes"])
    assert commands(root, task, settings) == ["make ci", "go test ./pkg/..."]
