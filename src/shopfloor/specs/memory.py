"""Project memory: the CLAUDE.md files Claude Code gives every agent, with their `@path` imports.

Read in Claude Code's order, lowest priority first: the user's `~/.claude/CLAUDE.md`, then from the
top of the checkout down to the working directory each folder's `CLAUDE.md`, `.claude/CLAUDE.md`,
`.claude/rules/*.md` and `CLAUDE.local.md`. An `@path` outside code spans and code blocks brings in
that file (relative to the file that names it, `~/` from home), up to five imports deep.

[baseline] Claude Code walks up to the file system root; shopfloor stops at the top of the git
checkout, so a task's worktree (which lives inside the project) does not read the project's files a
second time. A worktree has no `CLAUDE.local.md` of its own (it is not committed), so the one in the
main checkout is read in its place. Claude Code asks before following an import out of the project;
an unattended run cannot ask, so a project file's imports stay inside the checkout (the user's own
memory may import from anywhere) and the others are listed as skipped. Files are named relative to
the checkout (or `~/`), not by absolute path, so every task's worktree renders the same text and the
memory stays in the system prompt's cached prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from shopfloor.vcs import GitError, git

MemoryKind = Literal["user", "project", "local", "import"]
MAX_IMPORT_DEPTH = 5
_MAX_FILE_CHARS = 200_000
_IMPORT = re.compile(r"(?:^|(?<=\s))@((?:[^\s\\]|\\ )+)")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_KIND_NOTE = {
    "user": "the user's own instructions for every project",
    "project": "project instructions, checked into the codebase",
    "local": "the user's private instructions for this project, not checked in",
    "import": "imported",
}


@dataclass(frozen=True)
class MemoryFile:
    path: Path
    kind: MemoryKind
    text: str
    imported_by: Path | None = None
    shown: str = ""
    """The name the model reads: relative to the checkout, or `~/...`; absolute elsewhere."""


@dataclass
class ProjectMemory:
    """The memory files found, in the order the model reads them."""

    files: list[MemoryFile] = field(default_factory=list)
    skipped: list[tuple[Path, Path]] = field(default_factory=list)
    """(import, the file naming it) for imports that lead out of the checkout."""

    def render(self) -> str:
        """The memory as a system prompt section; empty when there is none."""
        entries = [f for f in self.files if f.text.strip()]
        if not entries:
            return ""
        parts = [
            "# Project memory (CLAUDE.md)\n\n"
            "Codebase and user instructions follow. Keep to them: where they differ from your "
            "defaults, they win."
        ]
        for f in entries:
            note = _KIND_NOTE[f.kind]
            if f.imported_by is not None:
                by = next((g.shown for g in self.files if g.path == f.imported_by), str(f.imported_by))
                note = f"imported by {by}"
            parts.append(f"Contents of {f.shown or f.path} ({note}):\n\n{f.text.strip()}")
        return "\n\n".join(parts)


def load_memory(workdir: Path, *, home: Path | None = None) -> ProjectMemory:
    """Every memory file that applies to an agent working in `workdir`."""
    home = Path.home() if home is None else home
    workdir = workdir.resolve()
    top, main = _checkout(workdir)
    reader = _Reader(home, (top, *([main] if main else [])))
    reader.add(home / ".claude" / "CLAUDE.md", "user")
    chain = [workdir, *workdir.parents]
    dirs = list(reversed(chain[: chain.index(top) + 1])) if top in chain else [workdir]
    for folder in dirs:
        reader.add(folder / "CLAUDE.md", "project")
        reader.add(folder / ".claude" / "CLAUDE.md", "project")
        rules = folder / ".claude" / "rules"
        if rules.is_dir():
            for rule in sorted(rules.rglob("*.md")):
                reader.add(rule, "project")
        local = folder / "CLAUDE.local.md"
        if not local.is_file() and main is not None:
            local = main / folder.relative_to(top) / "CLAUDE.local.md"
        reader.add(local, "local")
    return ProjectMemory(reader.files, reader.skipped)


class _Reader:
    def __init__(self, home: Path, project_roots: tuple[Path, ...]):
        self.home = home
        self.project_roots = tuple(r.resolve() for r in project_roots)
        self.files: list[MemoryFile] = []
        self.skipped: list[tuple[Path, Path]] = []
        self.seen: set[Path] = set()

    def add(
        self, path: Path, kind: MemoryKind, by: Path | None = None, depth: int = 0, *, user: bool = False
    ) -> None:
        try:
            real = path.resolve()
            if real in self.seen or not real.is_file():
                return
            if by is not None and not user and not any(real.is_relative_to(r) for r in self.project_roots):
                self.skipped.append((path, by))
                return
            text = real.read_text(encoding="utf-8", errors="replace")[:_MAX_FILE_CHARS]
        except OSError:
            return
        self.seen.add(real)
        self.files.append(MemoryFile(path, kind, text, by, self._shown(real)))
        if depth >= MAX_IMPORT_DEPTH:
            return
        for target in imports_of(text):
            target_path = self._resolve(target, path.parent)
            self.add(target_path, "import", path, depth + 1, user=user or kind == "user")

    def _shown(self, real: Path) -> str:
        for root in self.project_roots:
            if real.is_relative_to(root):
                return real.relative_to(root).as_posix()
        home = self.home.resolve()
        if real.is_relative_to(home):
            return "~/" + real.relative_to(home).as_posix()
        return str(real)

    def _resolve(self, target: str, base: Path) -> Path:
        if target.startswith("~/"):
            return self.home / target[2:]
        path = Path(target)
        return path if path.is_absolute() else base / path


def imports_of(text: str) -> list[str]:
    """The `@path` references of a memory file, outside code blocks and code spans."""
    found: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        bare = _CODE_SPAN.sub(" ", line)
        for match in _IMPORT.finditer(bare):
            target = match.group(1).replace("\\ ", " ").rstrip(".,;:!?)")
            if target and target not in found:
                found.append(target)
    return found


def _checkout(workdir: Path) -> tuple[Path, Path | None]:
    """(top of the checkout holding `workdir`, the main checkout when this one is a linked worktree)."""
    found = _checkout_from_files(workdir)
    if found is not None:
        return found
    try:
        out = git(workdir, "rev-parse", "--show-toplevel", "--git-common-dir", check=False, timeout_s=5)
    except (OSError, GitError):
        return workdir, None
    lines = out.stdout.splitlines() if out.ok else []
    if len(lines) < 2:
        return workdir, None
    top = Path(lines[0]).resolve()
    common = Path(lines[1])
    common = (common if common.is_absolute() else workdir / common).resolve()
    main = common.parent if common.name == ".git" else None
    return top, (main if main is not None and main != top else None)


def _checkout_from_files(workdir: Path) -> tuple[Path, Path | None] | None:
    """What `_checkout` asks git, read from the `.git` entries themselves when they are the usual ones
    (a `.git` folder, or a worktree's `gitdir:` file and its `commondir`); None otherwise."""
    for top in (workdir.resolve(), *workdir.resolve().parents):
        dot = top / ".git"
        if dot.is_dir():
            return top, None
        if not dot.is_file():
            continue
        try:
            own = Path(dot.read_text(encoding="utf-8").strip().removeprefix("gitdir: "))
            own = own if own.is_absolute() else (top / own).resolve()
            common = Path((own / "commondir").read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            return None
        common = (common if common.is_absolute() else own / common).resolve()
        main = common.parent if common.name == ".git" else None
        return top, (main if main is not None and main != top else None)
    return None
