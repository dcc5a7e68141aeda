"""One-off confined commands (the gate's checks and test runs), in the same sandbox as agents' Bash.

A `Confinement` says how: the `[sandbox]` settings, whether the network is allowed, and the project's
environment (`overlay`: its tool folders first on PATH, its variables, folders to hide). It builds the
environment (`env`), wraps a command so that only the given paths are writable (`command`), and runs one
to its end (`run`). Whatever the command leaves running is killed when it ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.cgroup import PidsGroup
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.process import ProcessResult, child_env, run_process
from shopfloor.tools.sandbox import (
    SANDBOX_ENV_VARS,
    Confined,
    SandboxPolicy,
    confine,
    limits_of,
    sandbox_support,
)


@dataclass(frozen=True)
class Confinement:
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    network: bool = False
    readable: tuple[Path, ...] = ()
    """Folders every command must see, read-only (the tree under test, whose files a base run links)."""
    also_writable: tuple[Path, ...] = ()
    """Folders every command may write besides its own (a scratch copy's side folder for results)."""
    overlay: EnvOverlay = field(default_factory=EnvOverlay)
    """The project's environment: PATH first, variables, and folders that show up empty inside."""

    @property
    def active(self) -> bool:
        """Whether commands will be sandboxed (asked for, and bwrap works here)."""
        return self.settings.enabled and sandbox_support().available

    def unconfined_reason(self) -> str | None:
        """Why commands run without the sandbox although it was asked for; None otherwise."""
        if not self.settings.enabled:
            return None
        support = sandbox_support()
        return None if support.available else support.reason

    def env(
        self, *, path_prepend: Sequence[str] = (), extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The allowlisted environment plus `[sandbox] env`, `path_prepend` first on PATH, then `extra`,
        then the project's own environment over it all."""
        inside = SANDBOX_ENV_VARS if self.active else {}
        base = child_env(
            allow=self.settings.env, path_prepend=path_prepend, extra={**inside, **(extra or {})}
        )
        return self.overlay.apply(base)

    @contextlib.contextmanager
    def command(
        self, argv: Sequence[str], *, cwd: Path, writable: Sequence[Path], env: Mapping[str, str]
    ) -> Iterator[Confined]:
        """`argv` ready to start in `cwd` with only `writable` changeable (as it is, when not active);
        start it with the `pass_fds` it names, before the `with` ends."""
        if not self.active:
            yield Confined(list(argv))
            return
        program = argv[0]
        found = (cwd / program).exists() if os.sep in program else shutil.which(program, path=env.get("PATH"))
        if not found:
            # As unconfined: a program that is not there cannot start (rather than exit 127 inside).
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", program)
        limits = limits_of(self.settings)
        group = PidsGroup.create(limits.max_processes) if limits.max_processes and os.geteuid() == 0 else None
        try:
            policy = SandboxPolicy(
                writable=(*writable, *self.also_writable),
                readable=self.readable,
                network=self.network,
                unix_sockets=self.settings.unix_sockets,
                hidden=self.overlay.hidden,
                ports=self.overlay.ports,
                limits=limits,
                pids_group=group.procs if group is not None else None,
            )
            with confine(argv, policy, cwd=cwd) as cmd:
                yield cmd
        finally:
            if group is not None:
                group.remove()

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        writable: Sequence[Path],
        timeout_s: float,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        """Run `argv` in `cwd` with only `writable` changeable; the environment defaults to `env()`."""
        env = self.env() if env is None else env
        with self.command(argv, cwd=cwd, writable=writable, env=env) as cmd:
            return await run_process(cmd.argv, cwd=cwd, timeout_s=timeout_s, env=env, pass_fds=cmd.pass_fds)
