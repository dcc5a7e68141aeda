"""`shopfloor run --dry-run` shows the environment each task would get and the checks the gate would run,
without installing or calling anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.env.runs import add_tasks


def dry_run(project: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    # A key is set so that the only problems the plan can list are the environment's (nothing is called).
    env = {**os.environ, "COLUMNS": "200", "ANTHROPIC_API_KEY": "k", **({"PATH": path} if path else {})}
    argv = [sys.executable, "-m", "shopfloor", "run", "--dry-run"]
    return subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=120, env=env)


def test_dry_run_shows_the_detected_environment_and_checks(tmp_path: Path) -> None:
    project = tmp_path / "app"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text(
        "jobs:\n  t:\n    steps:\n      - run: npm ci\n      - run: npm test -- --coverage\n"
    )
    scripts = {"lint": "eslint . --fix", "test": "node --test"}
    (project / "package.json").write_text(json.dumps({"scripts": scripts, "dependencies": {"ms": "2"}}))
    (project / "package-lock.json").write_text("{}")
    (project / "shopfloor.toml").write_text('[env]\nfiles = [".env"]\n')
    add_tasks(project, [("TASK-001", "Anything.")])
    proc = dry_run(project)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    at = lines.index("Environment of each task's worktree (set up before its agent, with network):")
    assert lines[at : at + 9] == [
        "Environment of each task's worktree (set up before its agent, with network):",
        "  npm in .",
        "  setup (detected): npm ci",
        "  copied in: .env",
        "  cache: the first task installs; later tasks with the same lockfiles get a copy",
        "",
        "Checks the gate would run on the project as it stands:",
        "  test: npm test -- --coverage [ci]",
        "  lint: eslint . [detected]",  # the project's lint script, in check mode
    ]
    assert "  note: npm run lint: `eslint . --fix` rewrites files: ran `eslint .` instead" in lines
    assert not (project / "node_modules").exists()  # nothing was installed


def test_dry_run_says_when_an_installer_is_missing(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"dependencies": {"ms": "2"}}))
    (project / "yarn.lock").write_text("# yarn lockfile v1\n")
    add_tasks(project, [("TASK-001", "Anything.")])
    own = str(Path(sys.executable).parent)
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "yarn").exists())
    proc = dry_run(project, path.replace(own, "/nonexistent"))
    assert "  not installed: yarn (install it, or set `[env] setup`): every task would fail" in proc.stdout
    assert "  none found: a task could not be verified (set `[gate] commands`)" in proc.stdout
