"""Environment time per task: the first task of a project installs (cold), later tasks with the same
lockfiles get a copy from shopfloor's cache (warm).

    .venv/bin/python bench/env_setup.py [--runs N] [--projects node_npm py_pip py_uv taskboard]

For each shipped test project (tests/env/projects) and the demo's example, it writes the lockfile once;
then per run it makes a fresh git repository and times `Environments.prepare` on the checkout (cold:
nothing cached by shopfloor; the package manager's own cache is whatever this machine has, warm after the
first run) and on a new worktree of it (warm). Medians of N runs. Needs the registries for the cold
installs; uv comes with the dev dependencies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shopfloor.config.settings import load_settings
from shopfloor.env import Environments

REPO = Path(__file__).resolve().parent.parent
PROJECTS = REPO / "tests" / "env" / "projects"
EXAMPLES = {"taskboard": REPO / "examples" / "taskboard"}  # the demo's example, with its own [env] setup
LOCK = {
    "py_uv": ["uv", "lock", "--quiet"],
    "node_npm": ["npm", "install", "--package-lock-only", "--no-audit"],
}


def _git(repo: Path, *args: str) -> None:
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


def _template(tmp: Path, name: str) -> Path:
    root = tmp / f"template-{name}"
    shutil.copytree(EXAMPLES.get(name, PROJECTS / name), root, ignore=shutil.ignore_patterns(".venv"))
    if name in LOCK:
        subprocess.run(LOCK[name], cwd=root, check=True, capture_output=True)
    return root


async def time_project(template: Path, runs: int) -> tuple[float, float, int]:
    """Median seconds of a cold setup and of a warm one, and the files the environment holds."""
    cold, warm = [], []
    files = 0
    for n in range(runs):
        with tempfile.TemporaryDirectory(dir=template.parent) as tmp:
            root = Path(tmp) / "proj"
            shutil.copytree(template, root)
            _git(root, "init", "-q", "-b", "main")
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "base")
            envs = Environments(root, load_settings(root).env)
            start = time.perf_counter()
            env = await envs.prepare("checkout", root)
            cold.append(time.perf_counter() - start)
            files = sum(len(f) for p in env.spec.products() for _, _, f in os.walk(root / p))
            wt = Path(tmp) / f"wt{n}"
            _git(root, "worktree", "add", "-q", str(wt), "-b", f"t{n}")
            start = time.perf_counter()
            again = await envs.prepare(f"T{n}", wt)
            warm.append(time.perf_counter() - start)
            assert again.source == "cache", again.source
    return statistics.median(cold), statistics.median(warm), files


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--projects", nargs="*", default=["node_npm", "py_pip", "py_uv", "taskboard"])
    args = parser.parse_args()
    print(f"{'project':10} {'files':>6} {'cold (s)':>9} {'warm (s)':>9}")
    with tempfile.TemporaryDirectory(prefix="shopfloor-env-bench-") as tmp:
        # Setup never uses this virtualenv's programs; uv comes with it, so give it a folder of its own.
        tools = Path(tmp) / "tools"
        tools.mkdir()
        (tools / "uv").symlink_to(Path(sys.executable).parent / "uv")
        os.environ["PATH"] = os.pathsep.join([str(tools), os.environ.get("PATH", "")])
        for name in args.projects:
            cold, warm, files = await time_project(_template(Path(tmp), name), args.runs)
            print(f"{name:10} {files:>6} {cold:>9.2f} {warm:>9.2f}")


if __name__ == "__main__":
    asyncio.run(main())
