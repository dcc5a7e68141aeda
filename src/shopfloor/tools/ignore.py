"""Gitignore-style matching for the pure-Python Grep: ignore files, -g style globs and file types.

The rules follow ripgrep's `ignore` crate, so both Grep engines pick the same files: within one
file the last matching line wins; a deeper directory's file beats a shallower one; `.rgignore` beats
`.ignore` beats `.gitignore` beats `.git/info/exclude`; gitignore rules count only inside a git
repository and stop at its root. User globs are "overrides" and decide before any ignore file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from shopfloor.tools.globs import glob_to_regex

IGNORE_FILES = (".rgignore", ".ignore", ".gitignore")


class Verdict(Enum):
    IGNORE = "ignore"
    WHITELIST = "whitelist"


@dataclass(frozen=True)
class _Rule:
    regex: str
    whitelist: bool
    only_dir: bool


def _parse_line(line: str) -> _Rule | None:
    """One gitignore line as a rule, or None for blanks and comments."""
    if line.startswith("#"):
        return None
    if not line.endswith("\\ "):
        line = line.rstrip()
    if not line:
        return None
    whitelist = anchored = only_dir = False
    if line.startswith(("\\!", "\\#")):
        line = line[1:]
        anchored = line.startswith("/")
    else:
        if line.startswith("!"):
            whitelist = True
            line = line[1:]
        if line.startswith("/"):
            line = line[1:]
            anchored = True
    if line.endswith("/"):
        only_dir = True
        line = line[:-1]
    if not anchored and "/" not in line and not (line.startswith("**/") or line == "**"):
        line = "**/" + line
    if line.endswith("/**"):
        line += "/*"
    return _Rule(glob_to_regex(line), whitelist, only_dir)


class RuleSet:
    """The rules of one ignore file (or one set of globs), matched relative to `base`."""

    def __init__(self, base: str, lines: Iterable[str]):
        self.prefix = base.rstrip("/") + "/"
        self.rules = [r for r in map(_parse_line, lines) if r is not None]
        # Alternatives in reverse so the first that matches is the last rule in the file.
        self._for_dirs = self._combine(self.rules)
        self._for_files = self._combine([r for r in self.rules if not r.only_dir])

    @staticmethod
    def _combine(rules: Sequence[_Rule]) -> tuple[re.Pattern[str] | None, list[bool]]:
        if not rules:
            return None, []
        ordered = list(reversed(rules))
        body = "|".join(f"({r.regex})" for r in ordered)
        return re.compile(f"(?s:{body})"), [r.whitelist for r in ordered]

    @classmethod
    def from_file(cls, path: Path, base: Path | None = None) -> RuleSet | None:
        """The rules in `path`, matched relative to `base` (default: the file's folder)."""
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None
        rules = cls(str(base or path.parent), text.splitlines())
        return rules if rules.rules else None

    def match(self, path: str, is_dir: bool) -> Verdict | None:
        """The verdict of the last rule matching `path` (absolute, under `base`), if any."""
        rx, kinds = self._for_dirs if is_dir else self._for_files
        if rx is None or not path.startswith(self.prefix):
            return None
        m = rx.fullmatch(path, len(self.prefix))
        if m is None or m.lastindex is None:
            return None
        return Verdict.WHITELIST if kinds[m.lastindex - 1] else Verdict.IGNORE


class Overrides:
    """User globs (like rg's -g): a plain glob includes, `!glob` excludes; they beat ignore files."""

    def __init__(self, root: str, globs: Sequence[str]):
        # Read as gitignore lines, then inverted: a plain glob "ignores" in gitignore terms, so includes.
        self._rules = RuleSet(root, globs)
        self._includes = sum(1 for g in globs if not g.startswith("!"))

    def match(self, path: str, is_dir: bool) -> Verdict | None:
        hit = self._rules.match(path, is_dir)
        if hit is None:
            return Verdict.IGNORE if self._includes and not is_dir else None
        return Verdict.IGNORE if hit is Verdict.WHITELIST else Verdict.WHITELIST


class TypeFilter:
    """Keep files whose name matches any glob of the chosen file type."""

    def __init__(self, globs: Sequence[str]):
        body = "|".join(glob_to_regex(g, literal_separator=False) for g in globs)
        self._rx = re.compile(f"(?s:{body})")

    def keeps(self, name: str) -> bool:
        return self._rx.fullmatch(name) is not None


@dataclass(frozen=True)
class Level:
    """The ignore files found in one directory."""

    custom: RuleSet | None
    dot: RuleSet | None
    git: RuleSet | None
    exclude: RuleSet | None
    has_git: bool

    @property
    def empty(self) -> bool:
        return not (self.custom or self.dot or self.git or self.exclude)


def load_level(directory: str, names: set[str]) -> Level:
    """Read the ignore files of `directory`, whose entry names are `names`."""
    d = Path(directory)

    def rules(name: str) -> RuleSet | None:
        return RuleSet.from_file(d / name) if name in names else None

    has_git = ".git" in names
    exclude = RuleSet.from_file(d / ".git" / "info" / "exclude", d) if has_git else None
    return Level(rules(".rgignore"), rules(".ignore"), rules(".gitignore"), exclude, has_git)


class IgnoreChain:
    """The levels that apply inside one directory, deepest first (immutable; extend per folder)."""

    def __init__(self, levels: tuple[Level, ...], any_git: bool):
        self.levels = levels
        self.any_git = any_git

    @classmethod
    def for_ancestors(cls, directory: Path) -> IgnoreChain:
        """The chain made by the parents of a search root, deepest first."""
        levels: list[Level] = []
        for parent in directory.parents:
            try:
                names = {n for n in (*IGNORE_FILES, ".git") if (parent / n).exists()}
            except OSError:
                names = set()
            levels.append(load_level(str(parent), names))
        any_git = any(lv.has_git for lv in levels)
        return cls(tuple(lv for lv in levels if not lv.empty or lv.has_git), any_git)

    def child(self, level: Level) -> IgnoreChain:
        if level.empty and not level.has_git:
            return self
        return IgnoreChain((level, *self.levels), self.any_git or level.has_git)

    def match(self, path: str, is_dir: bool) -> Verdict | None:
        custom = dot = git = exclude = None
        saw_git = False
        for lv in self.levels:
            if custom is None and lv.custom:
                custom = lv.custom.match(path, is_dir)
            if dot is None and lv.dot:
                dot = lv.dot.match(path, is_dir)
            if not saw_git:
                if git is None and lv.git:
                    git = lv.git.match(path, is_dir)
                if exclude is None and lv.exclude:
                    exclude = lv.exclude.match(path, is_dir)
            saw_git = saw_git or lv.has_git
        if custom is not None:
            return custom
        if dot is not None:
            return dot
        if not self.any_git:
            return None
        return git if git is not None else exclude
