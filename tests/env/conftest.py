"""The shipped projects with their lockfiles made once per session, and the tools they need (pnpm, uv).

Lockfiles are written here (with the registries this machine reaches) rather than shipped; everything
after that — each test's setup, cache and gate — runs as a user's run would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

collect_ignore_glob = ["projects/*"]

PROJECTS = Path(__file__).parent / "projects"
PNPM_VERSION = "9.15.9"  # the version node_pnpm's packageManager names


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def tool_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with pnpm and uv, put on PATH for the runs that need them."""
    root = tmp_path_factory.mktemp("tools")
    _run(["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", f"pnpm@{PNPM_VERSION}"], root)
    # The folder on PATH holds what the links point to: a sandbox that shows PATH folders under /tmp
    # then shows pnpm's own files too.
    (root / "pnpm").symlink_to(Path("node_modules") / ".bin" / "pnpm")
    uv = Path(sys.executable).parent / "uv"
    assert uv.is_file(), "uv comes with shopfloor's dev dependencies: pip install -e '.[dev]'"
    (root / "uv").symlink_to(uv)
    return root


def path_with(tool_bin: Path, *, without: tuple[str, ...] = ()) -> str:
    """PATH with the test tools first, shopfloor's own venv left out, and no folder holding `without`."""
    own = str(Path(sys.executable).parent)
    dirs = [str(tool_bin)] + [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and d != own]
    dirs = [d for d in dirs if not any((Path(d) / name).exists() for name in without)]
    return os.pathsep.join(dirs)


@pytest.fixture(scope="session")
def locked(tmp_path_factory: pytest.TempPathFactory, tool_bin: Path) -> Callable[[str], Path]:
    """`locked(name)`: the shipped project with its lockfile written (once per session)."""
    templates = tmp_path_factory.mktemp("locked")
    made: dict[str, Path] = {}
    env = {**os.environ, "PATH": path_with(tool_bin)}

    def get(name: str) -> Path:
        if name in made:
            return made[name]
        dest = templates / name
        shutil.copytree(PROJECTS / name, dest)
        if name == "py_uv":
            _run(["uv", "lock", "--quiet"], dest, env)
        elif name == "node_npm":
            _run(["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"], dest, env)
        elif name == "node_pnpm":
            _run(["pnpm", "install", "--lockfile-only"], dest, env)
        made[name] = dest
        return dest

    return get
