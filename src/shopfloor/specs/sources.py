"""What agent and skill catalogs share: problems with file lines, search roots, precedence."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

Origin = Literal["project", "user", "builtin"]
Severity = Literal["error", "warning"]


class SpecProblem(BaseModel):
    """Something wrong in an agent or skill file, with the file line a person should look at."""

    model_config = ConfigDict(frozen=True)

    path: Path
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


class SpecFileError(Exception):
    """An agent or skill file that cannot be used.

    `severity="warning"` marks a file that is not meant as a definition at all (Markdown without a
    `name:` in an agents folder, which Claude Code takes for documentation): it is skipped, says so,
    and claims no name.
    """

    def __init__(self, path: Path, line: int, message: str, *, severity: Severity = "error"):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
        self.severity: Severity = severity

    def problem(self) -> SpecProblem:
        return SpecProblem(path=self.path, line=self.line, message=self.message, severity=self.severity)


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def source(self) -> Path: ...


SpecT = TypeVar("SpecT", bound=_Named)


@dataclass(frozen=True)
class Shadowed(Generic[SpecT]):
    """A definition hidden by a higher-precedence one with the same name."""

    spec: SpecT
    by: SpecT


@dataclass(frozen=True)
class Loaded(Generic[SpecT]):
    """One file's outcome during discovery: a spec, or the name a broken file claimed ("" for none)."""

    spec: SpecT | None
    claimed: str
    problems: list[SpecProblem]
    scope: Path | None = None
    """The folder searched; two definitions of one name in the same folder are reported."""


class Layered(Generic[SpecT]):
    """Definitions merged in precedence order: the first of a name wins; later ones are shadowed.

    A broken file still claims its name, so a lower-precedence definition does not silently
    stand in for the one the user meant to change.
    """

    def __init__(self, loaded: Iterable[Loaded[SpecT]]):
        self._specs: dict[str, SpecT] = {}
        self._scopes: dict[str, Path | None] = {}
        self._broken: dict[str, SpecProblem] = {}
        self.shadowed: list[Shadowed[SpecT]] = []
        self.problems: list[SpecProblem] = []
        for item in loaded:
            self.problems += item.problems
            if not item.claimed:
                continue
            winner = self._specs.get(item.claimed)
            blocker = self._broken.get(item.claimed)
            if item.spec is None:
                if winner is None and blocker is None and any(p.severity == "error" for p in item.problems):
                    self._broken[item.claimed] = item.problems[0]
                continue
            if winner is not None:
                self.shadowed.append(Shadowed(item.spec, winner))
                if item.scope is not None and self._scopes.get(item.claimed) == item.scope:
                    self.problems.append(_duplicate(item.claimed, item.spec.source, winner.source))
            elif blocker is not None:
                self.problems.append(
                    SpecProblem(
                        path=item.spec.source,
                        line=1,
                        message=f"`{item.claimed}` is not used because {blocker.path} defines it with errors",
                        severity="warning",
                    )
                )
            else:
                self._specs[item.claimed] = item.spec
                self._scopes[item.claimed] = item.scope

    def get(self, name: str) -> SpecT | None:
        return self._specs.get(name)

    def all(self) -> list[SpecT]:
        return [self._specs[n] for n in sorted(self._specs)]

    def names(self) -> list[str]:
        return sorted(self._specs)

    def broken(self, name: str) -> SpecProblem | None:
        """The error that keeps `name` out of the catalog, if a broken file claimed it."""
        return self._broken.get(name)

    @property
    def errors(self) -> list[SpecProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def missing_message(self, name: str, kind: str) -> str:
        """Why `name` is not available, with the closest names or the error that blocks it."""
        blocker = self._broken.get(name)
        if blocker is not None:
            return f"{kind} `{name}` cannot be used: {blocker}"
        close = difflib.get_close_matches(name, self.names(), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"unknown {kind} `{name}`.{hint} Available: {', '.join(self.names()) or 'none'}."


def _duplicate(name: str, loser: Path, winner: Path) -> SpecProblem:
    return SpecProblem(
        path=loser,
        line=1,
        message=(
            f"`{name}` is defined twice in the same folder: {winner} is used and this file is "
            "ignored (the first in path order wins); rename one of them"
        ),
        severity="warning",
    )


def builtin_dir(kind: Literal["agents", "skills"]) -> Path:
    """Where the built-in agents or skills shipped with the package live on disk."""
    return Path(str(files("shopfloor.assets").joinpath(kind)))


def search_roots(
    workdir: Path, home: Path | None, kind: Literal["agents", "skills"]
) -> list[tuple[Path, Origin]]:
    """The directories searched for agents or skills, highest precedence first, built-ins last."""
    home = Path.home() if home is None else home
    roots: list[tuple[Path, Origin]] = [
        (workdir / ".claude" / kind, "project"),
        (workdir / ".shopfloor" / kind, "project"),
        (home / ".claude" / kind, "user"),
        (builtin_dir(kind), "builtin"),
    ]
    # A project inside the home directory itself would otherwise list the same folder twice.
    seen: set[Path] = set()
    unique = []
    for root, origin in roots:
        key = root.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((root, origin))
    return unique


def load_guarded(
    path: Path,
    parse: Callable[[bytes, Path], tuple[SpecT, list[SpecProblem]]],
    claimed: Callable[[bytes, Path], str],
    scope: Path | None = None,
) -> Loaded[SpecT]:
    """Run `parse` on a file's bytes, turning every failure into a problem."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return Loaded(
            None, path.stem, [SpecProblem(path=path, line=1, message=f"cannot read the file: {err}")], scope
        )
    try:
        spec, warnings = parse(data, path)
    except SpecFileError as err:
        name = claimed(data, path) if err.severity == "error" else ""
        return Loaded(None, name, [err.problem()], scope)
    return Loaded(spec, spec.name, warnings, scope)
