"""Starting git: the hardened command line, the environment it runs in, its errors, and a committer
identity for repositories that have none."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Variables that would point git at another repository or index than the one we name with cwd.
_REPO_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
_SECRET_NAME = re.compile(r"((^|_)API_KEY|(^|_)TOKEN|_PASSWORD|_CREDENTIALS?)$|SECRET", re.IGNORECASE)
# Settings that make git start another program: a repository (or an agent that wrote to its config)
# must not get one run by shopfloor's own git calls.
_HARDENING = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.sshCommand=ssh",
    "core.askPass=",
    "credential.helper=",
    "core.editor=true",
    "sequence.editor=true",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "protocol.ext.allow=never",
    "core.pager=cat",
    "core.quotePath=false",
    "merge.conflictStyle=merge",
    "maintenance.auto=false",  # once at a run's end instead of after each of its commits
)
# Commands that can run a diff program or a text conversion the configuration names.
_DIFFING = frozenset({"diff", "log", "show", "format-patch"})
_CONFIG = tuple(arg for setting in _HARDENING for arg in ("-c", setting))
FALLBACK_NAME = "shopfloor"
FALLBACK_EMAIL = "shopfloor@localhost"
DEFAULT_TIMEOUT_S = 300.0


class GitError(RuntimeError):
    """A git command failed; the message carries the command and git's own words."""

    def __init__(self, args: tuple[str, ...], code: int | None, output: str) -> None:
        shown = " ".join(args)
        why = "timed out" if code is None else f"exit {code}"
        super().__init__(f"git {shown} failed ({why}): {output.strip()[-2000:]}")
        self.args_ = args
        self.code = code
        self.output = output


@dataclass(frozen=True)
class GitResult:
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: the caller's, without secrets or repository redirections."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_LOCATION_VARS and not _SECRET_NAME.search(k)}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": "true",
            "GIT_MERGE_AUTOEDIT": "no",
            "LC_ALL": "C",
            "LANGUAGE": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def _argv(args: tuple[str, ...], who: list[str]) -> list[str]:
    i = 0
    while i < len(args) and args[i] == "-c":  # leading `-c key=value` pairs of the caller
        i += 2
    if i < len(args) and args[i] in _DIFFING:
        args = (*args[: i + 1], "--no-ext-diff", "--no-textconv", *args[i + 1 :])
    return ["git", "--no-pager", *_CONFIG, *who, *args]


def git(
    cwd: Path,
    *args: str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    identity: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    stdin: str | None = None,
) -> GitResult:
    """Run `git args...` in `cwd`. `identity` supplies a committer when the repository has none; `stdin`
    is what git reads, if anything."""
    who = identity_args(cwd) if identity else []
    proc = subprocess.Popen(
        _argv(args, who),
        cwd=cwd,
        env=git_env(env),
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        stdout, stderr = proc.communicate()
        raise GitError(args, None, stdout + stderr) from None
    result = GitResult(proc.returncode, stdout, stderr)
    if check and not result.ok:
        raise GitError(args, result.code, result.output)
    return result


async def agit(
    cwd: Path,
    *args: str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> GitResult:
    """`git()` for the event loop: the same invocation, awaited; the process group dies on cancel."""
    proc = await asyncio.create_subprocess_exec(
        *_argv(args, []),
        cwd=cwd,
        env=git_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        _kill_group(proc.pid)
        await proc.wait()
        raise GitError(args, None, "") from None
    except BaseException:
        _kill_group(proc.pid)
        raise
    code = proc.returncode if proc.returncode is not None else -1
    result = GitResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    if check and not result.ok:
        raise GitError(args, result.code, result.output)
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def identity_args(cwd: Path) -> list[str]:
    """`-c user.name=... -c user.email=...` for whichever of the two git cannot find, else nothing."""
    env = os.environ
    missing = [
        (key, fallback)
        for key, env_names, fallback in (
            ("user.name", ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"), FALLBACK_NAME),
            ("user.email", ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL", "EMAIL"), FALLBACK_EMAIL),
        )
        if not all(env.get(n) for n in env_names[:2])
    ]
    if not missing:
        return []
    known = _configured(cwd)
    return [arg for key, fallback in missing if key not in known for arg in ("-c", f"{key}={fallback}")]


def _configured(cwd: Path) -> frozenset[str]:
    """Which of user.name and user.email git finds configured for `cwd`: asked of git once, then again
    only when one of the configuration files that could set them changed (worktrees of one repository
    share the answer)."""
    key = _config_signature(cwd)
    known = _IDENTITY_SEEN.get(key) if key is not None else None
    if known is None:
        found = git(cwd, "config", "--get-regexp", r"^user\.(name|email)$", check=False).stdout
        known = frozenset(
            line.partition(" ")[0] for line in found.splitlines() if line.partition(" ")[2].strip()
        )
        if key is not None:
            _IDENTITY_SEEN[key] = known
    return known


_Signature = tuple[tuple[str, int, int], ...]
_IDENTITY_SEEN: dict[_Signature, frozenset[str]] = {}


def _config_signature(cwd: Path) -> _Signature | None:
    """Each file git reads settings from for a checkout at `cwd` (the repository's, a worktree's own, the
    user's) that exists, with its change time and size; None when `cwd` is not a checkout's top or a
    file includes another (then git is asked every time)."""
    dot = cwd / ".git"
    try:
        if dot.is_dir():
            files = [dot / "config"]
        else:
            named = dot.read_text(encoding="utf-8").removeprefix("gitdir:").strip()
            own = (cwd / named).resolve()
            common = (own / (own / "commondir").read_text(encoding="utf-8").strip()).resolve()
            files = [common / "config", own / "config.worktree"]
    except (OSError, UnicodeDecodeError):
        return None
    if os.environ.get("GIT_CONFIG_COUNT"):
        return None
    if chosen := os.environ.get("GIT_CONFIG_GLOBAL"):
        files.append(Path(chosen))
    else:
        xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        files += [Path.home() / ".gitconfig", xdg / "git" / "config"]
    out: list[tuple[str, int, int]] = []
    for path in files:
        try:
            st = path.stat()
            if b"[include" in path.read_bytes():
                return None
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def identity_env(cwd: Path) -> dict[str, str]:
    """Author/committer variables for an agent's shell, so its own `git commit`/`git merge` work in a
    repository with no identity configured; empty when git already has one."""
    values = dict(pair.split("=", 1) for pair in identity_args(cwd)[1::2])
    env: dict[str, str] = {}
    if "user.name" in values:
        env.update(GIT_AUTHOR_NAME=values["user.name"], GIT_COMMITTER_NAME=values["user.name"])
    if "user.email" in values:
        env.update(GIT_AUTHOR_EMAIL=values["user.email"], GIT_COMMITTER_EMAIL=values["user.email"])
    return env
