"""A tree's project environment once set up (or as found): the data the agent's shell and the gate's checks
use to run the project's own tools, and nothing of shopfloor's or of a parent checkout's."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from shopfloor.config.sections import EnvSettings
from shopfloor.env.spec import EnvSpec, env_spec
from shopfloor.env.stacks import Language, Stack
from shopfloor.tools.child_env import EnvOverlay

EnvSource = Literal["setup", "cache", "kept", "none", "found"]
"""setup: installed now; cache: restored from an identical install; kept: already there (a retry);
none: nothing to install; found: a tree looked at as it is (`shopfloor verify`), nothing set up."""

# After setup nothing may fetch: package managers told to stay offline fail fast instead of hanging.
_OFFLINE: dict[Language, dict[str, str]] = {
    "python": {
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
        "UV_NO_SYNC": "1",
        "POETRY_VIRTUALENVS_IN_PROJECT": "true",
        "POETRY_VIRTUALENVS_CREATE": "false",
        "PYTHONNOUSERSITE": "1",
    },
    "node": {
        "npm_config_offline": "true",
        "npm_config_update_notifier": "false",
        "COREPACK_ENABLE_NETWORK": "0",
        "YARN_ENABLE_NETWORK": "0",
        "FORCE_COLOR": "0",
    },
    "go": {"GOPROXY": "off", "GOTOOLCHAIN": "local"},
    "rust": {"CARGO_NET_OFFLINE": "true"},
}


def own_venv_bin() -> tuple[str, ...]:
    """shopfloor's own virtualenv's bin folder, when it runs from one: never a project's tools."""
    if sys.prefix == sys.base_prefix:
        return ()
    return (str(Path(sys.prefix) / "bin"),)


def parent_node_modules(root: Path) -> tuple[Path, ...]:
    """`node_modules` folders above `root`, which Node would find by walking up from the worktree."""
    return tuple(p / "node_modules" for p in root.parents if (p / "node_modules").is_dir())


@dataclass(frozen=True)
class ProjectEnv:
    root: Path
    spec: EnvSpec
    key: str
    source: EnvSource
    seconds: float = 0.0
    log: Path | None = None
    service_ports: dict[int, str] = field(default_factory=dict)
    """Ports of the services `[env] services` started (port -> name)."""

    def dir_of(self, stack: Stack) -> Path:
        return self.root / stack.dir

    def python(self, folder: Path | None = None) -> str | None:
        """The venv interpreter for `folder` (or the root), if the tree has one."""
        for base in (folder, self.root):
            if base is None:
                continue
            for venv in (".venv", "venv"):
                candidate = base / venv / "bin" / "python"
                if candidate.is_file():
                    return str(candidate)
        return None

    def stack_for(self, folder: Path, language: Language) -> Stack | None:
        """The stack of `language` that serves `folder`: its own, else the root's."""
        mine = [s for s in self.spec.stacks if s.language == language]
        for s in mine:
            if self.dir_of(s) == folder:
                return s
        return next((s for s in mine if s.dir == "."), None)

    def missing(self, folder: Path | None = None, language: Language | None = None) -> list[str]:
        """'dependencies missing' lines for stacks whose install made nothing here (setup never ran)."""
        out = []
        for s in self.spec.stacks:
            if not s.install or not s.products or (language is not None and s.language != language):
                continue
            if folder is not None and self.dir_of(s) not in (folder, self.root):
                continue
            if not any((self.dir_of(s) / p).exists() for p in s.products):
                where = "" if s.dir == "." else f" in {s.dir}"
                steps = " && ".join(s.install)
                out.append(f"dependencies missing: no {s.products[0]}{where} (run setup: `{steps}`)")
        return out

    def overlay(self) -> EnvOverlay:
        """PATH and variables for the agent's shell and the gate's checks."""
        path: list[str] = []
        env: dict[str, str] = {}
        for s in self.spec.stacks:
            path += [str(self.dir_of(s) / b) for b in s.bins if (self.dir_of(s) / b).is_dir()]
            env.update(_OFFLINE[s.language])
        venv = self.python()
        if venv is not None:
            env["VIRTUAL_ENV"] = str(Path(venv).parent.parent)
        env.update(self.spec.settings.vars)
        return EnvOverlay(
            path=tuple(path),
            vars=env,
            drop_path=own_venv_bin(),
            hidden=parent_node_modules(self.root),
            ports=tuple(sorted(self.service_ports)),
        )


def inspect_env(tree: Path, settings: EnvSettings | None = None) -> ProjectEnv:
    """The environment `tree` has as it stands, without setting anything up."""
    tree = tree.resolve()
    spec = env_spec(tree, settings or EnvSettings())
    return ProjectEnv(root=tree, spec=spec, key=spec.key(tree), source="found")
