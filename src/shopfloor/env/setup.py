"""Setting up a task worktree's environment before its agent starts, with network and outside the agent's
sandbox: the files it needs copied in, the run's services started, its dependencies installed (or restored
from the cache), each step written to a log a person can read.

After the agent, `refresh` installs again when the task changed a manifest or lockfile; that install runs
the task's own package files, so it is confined like the agent's shell (`Confinement`, as `[sandbox]`
says), with the network it needs. So is a first install in a tree that holds other tasks' merged work:
only what the user has checked out is installed unconfined.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import anyio.to_thread

from shopfloor.config.sections import EnvSettings, SandboxSettings
from shopfloor.env.cache import EnvCache
from shopfloor.env.project_env import EnvSource, ProjectEnv, own_venv_bin, parent_node_modules
from shopfloor.env.services import ServiceFailed, Services, service_port
from shopfloor.env.spec import EnvSpec, SetupStep, env_spec
from shopfloor.layout import Layout
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.confined import Confinement
from shopfloor.tools.process import child_env
from shopfloor.tools.redact import redact, secret_name
from shopfloor.tools.sandbox import SANDBOX_ENV_VARS
from shopfloor.tools.terminal import plain_text
from shopfloor.vcs import git, git_path

# Package managers that keep a store in the home folder, which is read-only inside the sandbox.
_CONFINED_STORES = {
    "npm_config_store_dir": "/tmp/.pnpm-store",
    "YARN_GLOBAL_FOLDER": "/tmp/.yarn",
    "COREPACK_HOME": "/tmp/.corepack",
}
# What package managers read from the environment to find their registry (proxies, mirrors, certificates):
# setup gets these besides the usual allowlist, but never one whose name says it holds a secret (those
# only through `[env] pass_env`).
_SETUP_CONFIG = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "all_proxy", "npm_config_*", "NPM_CONFIG_*", "YARN_*", "PNPM_*", "BUN_*", "COREPACK_*", "PIP_*",
    "UV_*", "POETRY_*", "PDM_*", "CARGO_*", "GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOSUMDB",
    "GOINSECURE",
)  # fmt: skip
_QUIET_MANAGERS = {
    "POETRY_VIRTUALENVS_IN_PROJECT": "true",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "UV_NO_PROGRESS": "1",
}


class EnvBroken(Exception):
    """The environment cannot be set up; the message says why and what to do."""

    def __init__(
        self, message: str, *, step: str | None = None, exit_code: int | None = None, output: str = ""
    ) -> None:
        super().__init__(message)
        self.step = step
        """The setup command that failed, if one did."""
        self.exit_code = exit_code
        self.output = output
        """The end of what it printed."""

    @property
    def offline(self) -> bool:
        """The failure looks like the network, not like what was asked for (a package that does not exist)."""
        return bool(_NETWORK_TROUBLE.search(self.output))


_NETWORK_TROUBLE = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ECONNREFUSED|getaddrinfo|Could not resolve host|"
    r"Temporary failure in name resolution|Failed to establish a new connection|Network is unreachable|"
    r"error sending request|Connection timed out|network is disabled|offline mode",
    re.IGNORECASE,
)


class SetupLog:
    """The setup log of one tree, appended to: every command, its output and exit status."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(redact(plain_text(text)))

    def header(self, what: str) -> None:
        self.write(f"\n== {what} ({datetime.now(UTC).isoformat(timespec='seconds')})\n")


class Environments:
    """The run's environments: one per task worktree, a shared cache, and the services."""

    def __init__(self, project: Path, settings: EnvSettings, sandbox: SandboxSettings | None = None) -> None:
        self.project = project.resolve()
        self.settings = settings
        self.sandbox = sandbox or SandboxSettings()
        """How a reinstall after a task (`refresh`) is confined."""
        layout = Layout(self.project)
        self.cache = EnvCache(layout.env_cache_dir)
        self._layout = layout
        self._locks: dict[str, anyio.Lock] = {}
        self._services: Services | None = None
        self._services_error: str | None = None
        self._services_lock = anyio.Lock()
        self.service_ports: dict[int, str] = {}

    def spec(self, tree: Path) -> EnvSpec:
        return env_spec(tree, self.settings)

    async def prepare(self, name: str, tree: Path) -> ProjectEnv:
        """The environment of `tree`, set up now, restored, or kept from an earlier attempt."""
        tree = tree.resolve()
        started = time.monotonic()
        spec = self.spec(tree)
        log = SetupLog(self._layout.env_log(name))
        log.header(f"environment of {name} in {tree}")
        missing = spec.missing_tools(self.setup_env().get("PATH"))
        if missing:
            names = ", ".join(missing)
            raise EnvBroken(f"not installed: {names} (install it, or set `[env] setup`)")
        await anyio.to_thread.run_sync(self._copy_files, tree)
        await anyio.to_thread.run_sync(keep_out_of_git, tree, [*spec.products(), *spec.files])
        await self._start_services(log)
        key = spec.key(tree)
        stamp = read_stamp(tree)
        products = spec.products()
        source: EnvSource
        if not spec.steps:
            source = "none"
            log.write("nothing to install\n")
        elif stamp == key and all((tree / p).exists() for p in products):
            source = "kept"
            log.write(f"kept what an earlier attempt installed (key {key})\n")
        elif stamp is not None:  # an earlier attempt's task changed its manifests: install as after a task
            return await self._install(name, tree, spec, log, started, confined=True, update=True)
        else:
            # Unconfined only for what the user has checked out: a tree that holds other tasks' merged
            # work holds agents' package files and scripts, which an install runs.
            own = await anyio.to_thread.run_sync(self._users_own, tree)
            return await self._install(name, tree, spec, log, started, confined=not own, update=False)
        write_stamp(tree, key)
        return self._env(tree, spec, key, source, started, log)

    async def refresh(self, name: str, env: ProjectEnv) -> ProjectEnv:
        """Install again when the task changed what decides its dependencies; else `env` as it is."""
        spec = self.spec(env.root)
        if spec.key(env.root) == env.key or not spec.steps:
            return env
        log = SetupLog(self._layout.env_log(name))
        log.header(f"the task changed its dependencies: installing again in {env.root}")
        return await self._install(name, env.root, spec, log, time.monotonic(), confined=True, update=True)

    def _users_own(self, tree: Path) -> bool:
        """Whether `tree` holds exactly what the user's checkout has committed (no agent's work)."""
        mine = git(tree, "rev-parse", "--verify", "--quiet", "HEAD^{tree}", check=False)
        users = git(self.project, "rev-parse", "--verify", "--quiet", "HEAD^{tree}", check=False)
        return mine.ok and users.ok and mine.stdout.strip() == users.stdout.strip()

    async def _install(
        self,
        name: str,
        tree: Path,
        spec: EnvSpec,
        log: SetupLog,
        started: float,
        *,
        confined: bool,
        update: bool,
    ) -> ProjectEnv:
        key = spec.key(tree)
        async with self._lock(key):
            if self.settings.cache and self.cache.has(key):
                restored = await anyio.to_thread.run_sync(self.cache.restore, key, tree)
                log.write(f"restored {', '.join(restored)} from the cache (key {key})\n")
                source: EnvSource = "cache"
            else:
                steps = spec.update_steps() if update else spec.steps
                await self._run_steps(steps, tree, log, confined=confined)
                key = spec.key(tree)  # an update may have rewritten the lockfile
                if self.settings.cache:
                    await anyio.to_thread.run_sync(self.cache.store, key, tree, spec.products())
                source = "setup"
        write_stamp(tree, key)
        env = self._env(tree, spec, key, source, started, log)
        log.write(f"environment ready ({source}) in {env.seconds:.1f}s\n")
        return env

    def _env(
        self, tree: Path, spec: EnvSpec, key: str, source: EnvSource, started: float, log: SetupLog
    ) -> ProjectEnv:
        return ProjectEnv(
            root=tree,
            spec=spec,
            key=key,
            source=source,
            seconds=round(time.monotonic() - started, 3),
            log=log.path,
            service_ports=dict(self.service_ports),
        )

    def _lock(self, key: str) -> anyio.Lock:
        return self._locks.setdefault(key, anyio.Lock())

    def setup_env(self, *, confined: bool = False) -> dict[str, str]:
        """What setup commands get: the allowlisted environment with `[sandbox] env` and the package
        managers' own settings (proxies, mirrors; nothing secret-looking), the tokens `[env] pass_env`
        names, quiet package managers, and no virtualenv of shopfloor's."""
        env = child_env(
            allow=[*self.sandbox.env, *_SETUP_CONFIG], extra=SANDBOX_ENV_VARS if confined else None
        )
        env = {k: v for k, v in env.items() if not secret_name(k) or k in self.sandbox.env}
        for name in self.settings.pass_env:
            if name in os.environ:
                env[name] = os.environ[name]
        env.pop("VIRTUAL_ENV", None)
        env.update(_QUIET_MANAGERS)
        if confined:
            env.update(_CONFINED_STORES)
        env.update(self.settings.vars)
        return EnvOverlay(drop_path=own_venv_bin()).apply(env)

    async def _run_steps(
        self, steps: tuple[SetupStep, ...], tree: Path, log: SetupLog, *, confined: bool
    ) -> None:
        # After a task, or in a tree with other tasks' merged work, the install runs what agents wrote
        # (package files, their scripts): confined like the agent's shell, with the network it needs.
        box = Confinement(
            self.sandbox if confined else self.sandbox.model_copy(update={"enabled": False}),
            network=True,
            readable=(tree,),
            overlay=EnvOverlay(hidden=parent_node_modules(tree)),
        )
        if confined and (why := box.unconfined_reason()) is not None:
            log.write(f"(no sandbox here: the install runs unconfined: {why})\n")
        elif confined and not box.active:
            log.write("(the sandbox is turned off: the install runs unconfined)\n")
        env = self.setup_env(confined=box.active)
        bash = shutil.which("bash") or "/bin/sh"
        for step in steps:
            cwd = tree / step.cwd
            log.write(f"$ {step.describe()}\n")
            try:
                done = await box.run(
                    [bash, "-c", step.command],
                    cwd=cwd,
                    writable=[tree],
                    timeout_s=self.settings.timeout_s,
                    env=env,
                )
            except OSError as err:
                log.write(f"could not start: {err}\n")
                raise EnvBroken(f"setup `{step.describe()}` could not start: {err}") from err
            log.write(done.output.rstrip("\n") + "\n")
            tail = plain_text(done.output)[-4000:]
            if done.timed_out:
                log.write(f"-> killed after {self.settings.timeout_s:g}s\n")
                raise EnvBroken(
                    f"setup `{step.describe()}` ran over [env] timeout_s ({self.settings.timeout_s:g}s); "
                    f"see {log.path}",
                    step=step.describe(),
                    output=tail,
                )
            log.write(f"-> exit {done.exit_code} in {done.duration_s:.1f}s\n")
            if done.exit_code != 0:
                raise EnvBroken(
                    f"setup `{step.describe()}` failed with exit code {done.exit_code}; see {log.path}",
                    step=step.describe(),
                    exit_code=done.exit_code,
                    output=tail,
                )

    def _copy_files(self, tree: Path) -> None:
        for rel in self.settings.files:
            src = self.project / rel
            if not src.exists():
                raise EnvBroken(f"[env] files: {rel} is not in {self.project}")
            dest = tree / rel
            if src.resolve() == dest.resolve():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dest)

    async def _start_services(self, log: SetupLog) -> None:
        async with self._services_lock:
            if self._services_error is not None:
                raise EnvBroken(self._services_error)
            if self._services is not None or not self.settings.services:
                return
            run_log = SetupLog(self._layout.env_log("services"))
            run_log.header("starting the run's services")
            self._services = Services(self.project, self.setup_env(), run_log.write)
            try:
                await self._services.start(self.settings.services)
            except (ServiceFailed, OSError) as err:
                self._services_error = f"{err}; see {run_log.path}"
                raise EnvBroken(self._services_error) from err
            for svc in self.settings.services:
                port = service_port(svc)
                if port is not None:
                    self.service_ports[port] = svc.name
            log.write(f"services running: {', '.join(s.name for s in self.settings.services)}\n")

    async def aclose(self) -> None:
        """Stop the run's services."""
        if self._services is not None:
            with anyio.CancelScope(shield=True):
                await self._services.stop()
            self._services = None


def setup_path() -> str:
    """PATH as setup commands see it (shopfloor's own virtualenv left out)."""
    return EnvOverlay(drop_path=own_venv_bin()).apply({"PATH": os.environ.get("PATH", "")})["PATH"]


def read_stamp(tree: Path) -> str | None:
    try:
        data = json.loads(Layout(tree).env_stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("key") if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


def write_stamp(tree: Path, key: str) -> None:
    path = Layout(tree).env_stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key}), encoding="utf-8")


def keep_out_of_git(tree: Path, paths: list[str]) -> None:
    """Make sure installed folders and copied files are never committed: ignore those the project does
    not already ignore (in the repository's own exclude file, not in a tracked file)."""
    if not paths or not git(tree, "rev-parse", "--git-dir", check=False).ok:
        return
    # A folder not made yet is asked about with a trailing slash, so `node_modules/` patterns match it.
    asked = {p: p if (tree / p).is_file() else p.rstrip("/") + "/" for p in paths}
    done = git(tree, "check-ignore", "--no-index", "--", *asked.values(), check=False)
    ignored = set(done.stdout.splitlines())
    wanted = [f"/{p.strip('/')}" for p, q in asked.items() if q not in ignored and p not in ignored]
    if not wanted:
        return
    exclude = git_path(tree, "info/exclude")
    exclude.parent.mkdir(parents=True, exist_ok=True)
    have = exclude.read_text(encoding="utf-8").splitlines() if exclude.is_file() else []
    new = [line for line in wanted if line not in have]
    if new:
        with exclude.open("a", encoding="utf-8") as f:
            f.write(("\n" if have and have[-1] else "") + "\n".join(new) + "\n")
