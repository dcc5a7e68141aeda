"""What setting up a tree's environment means: the steps (configured or detected), files, services, and
the key that says whether an installed environment can be reused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from shopfloor.config.sections import EnvSettings, ServiceSettings
from shopfloor.env.stacks import Stack, detect_stacks

_KEY_VERSION = "1"


@dataclass(frozen=True)
class SetupStep:
    command: str
    cwd: str = "."
    """Relative to the tree."""
    tool: str | None = None
    """The program the step needs installed (checked before anything runs); None for a configured step."""

    def describe(self) -> str:
        return self.command if self.cwd == "." else f"(cd {self.cwd} && {self.command})"


@dataclass(frozen=True)
class EnvSpec:
    stacks: tuple[Stack, ...]
    steps: tuple[SetupStep, ...]
    configured: bool
    """The steps come from `[env] setup`, not from detection."""
    settings: EnvSettings

    @property
    def files(self) -> list[str]:
        return self.settings.files

    @property
    def services(self) -> list[ServiceSettings]:
        return self.settings.services

    def update_steps(self) -> tuple[SetupStep, ...]:
        """The steps after a task changed a manifest: the managers may update their lockfiles."""
        if self.configured:
            return self.steps
        return tuple(
            SetupStep(c, s.dir, s.runner()[0]) for s in self.stacks for c in s.update
        )  # fmt: skip

    def products(self) -> list[str]:
        """What setup makes, relative to the tree (`.venv`, `web/node_modules`)."""
        out = []
        for s in self.stacks:
            if s.install or self.configured:
                out += [p if s.dir == "." else f"{s.dir}/{p}" for p in s.products]
        return list(dict.fromkeys(out))

    def missing_tools(self, path: str | None = None) -> list[str]:
        """Programs the steps need that are not on `path` (default: PATH)."""
        wanted = [s.tool for s in self.steps if s.tool]
        return [t for t in dict.fromkeys(wanted) if shutil.which(t, path=path) is None]

    def key(self, tree: Path) -> str:
        """Hash of everything that decides what setup installs: the steps, the lockfiles and manifests, the
        interpreters they build for. Equal keys mean an installed environment can be reused."""
        h = hashlib.sha256(_KEY_VERSION.encode())
        h.update(json.dumps([(s.command, s.cwd) for s in self.steps]).encode())
        for stack in self.stacks:
            for name in stack.inputs:
                path = tree / stack.dir / name
                h.update(f"\0{stack.kind}:{stack.dir}/{name}\0".encode())
                if path.is_file():
                    h.update(hashlib.sha256(path.read_bytes()).digest())
        for program in ("python3", "node"):
            found = shutil.which(program)
            h.update(f"\0{program}={os.path.realpath(found) if found else ''}".encode())
        return h.hexdigest()[:24]

    def describe(self) -> list[str]:
        """Lines for a person: what was found and what setup will run."""
        lines = [
            f"{s.kind} in {s.dir}" + (" (through corepack)" if s.via_corepack else "") for s in self.stacks
        ]
        if not lines:
            lines.append("no stack detected")
        source = "[env] setup" if self.configured else "detected"
        if self.steps:
            lines += [f"setup ({source}): " + "; ".join(s.describe() for s in self.steps)]
        else:
            lines.append(f"setup ({source}): nothing to install")
        lines += [f"copied in: {f}" for f in self.files]
        for svc in self.services:
            ready = f", ready when {svc.ready}" if svc.ready else ""
            lines.append(f"service {svc.name}: {svc.command}{ready}")
        return lines


def env_spec(tree: Path, settings: EnvSettings) -> EnvSpec:
    """The environment `tree` needs: `[env] setup` when configured, else its stacks' install commands."""
    stacks = tuple(detect_stacks(tree))
    if settings.setup is not None:
        steps = tuple(SetupStep(c) for c in settings.setup)
        return EnvSpec(stacks, steps, True, settings)
    detected = tuple(SetupStep(c, s.dir, s.runner()[0]) for s in stacks for c in s.install)
    return EnvSpec(stacks, detected, False, settings)
