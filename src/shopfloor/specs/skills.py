"""Skills: packaged instructions an agent gets in its system prompt or loads with the Skill tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.specs import frontmatter
from shopfloor.specs.frontmatter import FrontmatterError
from shopfloor.specs.sources import (
    Layered,
    Loaded,
    Origin,
    SpecFileError,
    SpecProblem,
    load_guarded,
    search_roots,
)
from shopfloor.specs.tool_rules import RuleSyntaxError, parse_rule

SKILL_FILE = "SKILL.md"
_RULE_TOKEN = re.compile(r"[^,\s()]+(?:\([^)]*\))?")
_MAX_DEPTH = 4
_MAX_BUNDLED = 200
# Fields Claude Code skills commonly carry; shopfloor keeps them without complaint.
_QUIET_FIELDS = (
    "allowed-tools", "license", "metadata", "version", "model", "argument-hint",
    "disable-model-invocation", "user-invocable", "when_to_use", "compatibility", "arguments",
    "disallowed-tools", "effort", "context", "agent", "background", "hooks", "paths", "shell",
)  # fmt: skip
_SKIPPED = ("__pycache__", "node_modules")


class SkillFileError(SpecFileError):
    """A skill file that cannot be used."""


@dataclass
class SkillSpec:
    """One skill: its instructions and the files bundled beside them."""

    name: str
    description: str
    body: str
    source: Path
    origin: Origin
    files: list[Path] = field(default_factory=list)
    """Absolute paths of bundled files (references, scripts) in the skill's own folder."""
    extra: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    """The `name:` field when it differs from the name (a SKILL.md is named by its folder)."""
    allowed_tools: list[str] = field(default_factory=list)
    """`allowed-tools` rules (`Bash(git add:*)`): calls they cover are allowed once the skill is in use."""

    @property
    def directory(self) -> Path | None:
        """The skill's own folder, for the folder layout; None for a flat `<category>/<name>.md`."""
        return self.source.parent if self.source.name == SKILL_FILE else None


def parse_skill_bytes(data: bytes, path: Path, origin: Origin) -> tuple[SkillSpec, list[SpecProblem]]:
    """Parse a SKILL.md or a flat skill file; every field is optional, frontmatter included."""
    folder_layout = path.name == SKILL_FILE
    try:
        # Every field of a skill is optional in Claude Code, frontmatter included.
        fm = frontmatter.parse(data, required=False, tolerate_yaml=True)
    except FrontmatterError as err:
        raise SkillFileError(path, err.line, err.message) from None
    warnings: list[SpecProblem] = []

    def warn(line: int, message: str) -> None:
        warnings.append(SpecProblem(path=path, line=line, message=message, severity="warning"))

    def text(key: str) -> str | None:
        value = fm.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise SkillFileError(path, fm.line_of(key), f"`{key}` must be text, not {value!r}")
        return value.strip() or None

    if fm.yaml_error is not None:
        warn(
            fm.yaml_error.line,
            f"{fm.yaml_error.message}; the skill loads without its fields (as in Claude Code): its name "
            "comes from its folder and its description from its first paragraph",
        )
    for key, line in fm.quoted:
        warn(line, frontmatter.quoted_warning(key))
    # Claude Code names a skill folder's skill after the folder; `name:` is only a label there.
    label = text("name")
    name = path.parent.name if folder_layout else (label or path.stem)
    description = text("description")
    if description is None:
        description = _first_paragraph(fm.body) or name
        warn(fm.start_line, "no `description` in frontmatter; using the first paragraph, as Claude Code does")
    if not fm.body:
        warn(fm.body_line, "the skill has no instructions after its frontmatter")
    extra = {k: v for k, v in fm.data.items() if k not in ("name", "description")}
    for key in extra:
        if key not in _QUIET_FIELDS:
            warn(fm.line_of(key), f"unknown field `{key}` is kept but has no effect")
    files = _bundled(path.parent) if folder_layout else []
    allowed = _allowed_tools(fm.data.get("allowed-tools"), fm.line_of("allowed-tools"), warn)
    spec = SkillSpec(
        name, description, fm.body, path, origin, files, extra, label if label != name else None, allowed
    )
    return spec, warnings


def _allowed_tools(value: object, line: int, warn: Callable[[int, str], None]) -> list[str]:
    """`allowed-tools` as a comma/space separated string or a YAML list, each entry a tool rule."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if value is not None and not items and not isinstance(value, list):
        warn(line, f"`allowed-tools` must be a string or a list of tool rules, not {value!r}; it is ignored")
    out: list[str] = []
    for item in items:
        for token in _RULE_TOKEN.findall(str(item)):
            try:
                out.append(parse_rule(token).text)
            except RuleSyntaxError as err:
                warn(line, f"`allowed-tools`: {err}; the entry is ignored")
    return out


def _first_paragraph(body: str) -> str:
    for block in re.split(r"\n\s*\n", body):
        lines = [ln.strip().lstrip("#").strip() for ln in block.strip().splitlines()]
        text = " ".join(ln for ln in lines if ln)
        if text:
            return text[:300]
    return ""


def _bundled(folder: Path) -> list[Path]:
    out: list[Path] = []
    real = folder.resolve()  # rglob does not follow linked folders: only a linked file needs resolving
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel == Path(SKILL_FILE) or any(p.startswith(".") or p in _SKIPPED for p in rel.parts):
            continue
        if path.is_file():
            out.append(path.resolve() if path.is_symlink() else real / rel)
            if len(out) >= _MAX_BUNDLED:
                break
    return out


def _skill_files(root: Path, depth: int = 0) -> Iterator[Path]:
    """SKILL.md of each skill folder, and each `.md` of a category folder (or the root)."""
    if depth > _MAX_DEPTH or not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIPPED:
            continue
        if entry.is_dir():
            marker = entry / SKILL_FILE
            if marker.is_file():
                yield marker
            else:
                yield from _skill_files(entry, depth + 1)
        elif entry.suffix == ".md" and entry.name.lower() != "readme.md" and entry.is_file():
            yield entry


def _claimed_name(data: bytes, path: Path) -> str:
    if path.name == SKILL_FILE:
        return path.parent.name
    match = re.search(rb"^name:[ \t]*['\"]?([A-Za-z0-9._-]+)", data, re.MULTILINE)
    return match.group(1).decode() if match else path.stem


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _shown(path: Path, root: Path | None) -> str:
    """`path` relative to the (resolved) working directory `root` when inside it (the same text in every
    worktree), else absolute."""
    if root is not None:
        resolved = path.resolve()
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    return str(path)


def _listing(skills: list[SkillSpec], budget: int) -> tuple[list[str], int]:
    """`- name: description` lines within `budget` characters, and how many skills were left out.

    Descriptions are shortened first, then dropped; when even the names do not fit, the list ends
    where the budget does.
    """
    for limit in (250, 100):
        lines = [f"- {s.name}: {_one_line(s.description, limit)}" for s in skills]
        if sum(len(line) + 1 for line in lines) <= budget:
            return lines, 0
    lines, used = [], 0
    for spec in skills:
        line = f"- {spec.name}"
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        used += len(line) + 1
    return lines, len(skills) - len(lines)


_ORIGIN_RANK = {"project": 0, "user": 1, "builtin": 2}
LISTING_BUDGET_CHARS = 8_000
"""Most characters the list of skills available on request takes in a system prompt (Claude Code
gives its listing about 1% of the context window, 8,000 characters by default)."""


class SkillCatalog(Layered[SkillSpec]):
    """Every skill found, by name, after precedence; the Skill tool's source of instructions."""

    def render(self, name: str, args: str | None = None, *, workdir: Path | None = None) -> str | None:
        """The skill's instructions, the folder its files are in, and any file the text does not name.

        Paths inside `workdir` are shown relative to it, so a skill injected into the system prompt
        reads the same in every worktree of a project. None when the skill is unknown.
        """
        spec = self.get(name.strip().lstrip("/"))
        if spec is None:
            return None
        body = spec.body
        args = args.strip() if args else None
        if args and "$ARGUMENTS" in body:
            body = body.replace("$ARGUMENTS", args)
            args = None
        folder = spec.directory
        root = workdir.resolve() if workdir is not None else None
        if folder is None:
            parts = [f'<skill name="{spec.name}" source="{_shown(spec.source, root)}">']
        else:
            parts = [f'<skill name="{spec.name}">']
        if folder is not None and spec.files:
            where = _shown(folder, root)
            relative = " (in the working directory)" if not Path(where).is_absolute() else ""
            parts.append(
                f"Base directory for this skill: {where}{relative}. Paths it names are relative to it; "
                "read those files when the work needs them."
            )
        parts.append(body)
        inside = folder.resolve() if folder is not None else None
        unnamed = [f for f in spec.files if inside is None or not _names(body, f, inside)]
        if unnamed:
            listing = "\n".join(f"- {_shown(f, root)}" for f in unnamed)
            parts.append(
                f"Files bundled with this skill (open them with the Read tool when needed):\n{listing}"
            )
        if args:
            parts.append(f"ARGUMENTS: {args}")
        parts.append("</skill>")
        return "\n\n".join(parts)

    def allowed_tools(self, name: str) -> list[str]:
        """The skill's `allowed-tools` rules (empty for an unknown skill)."""
        spec = self.get(name.strip().lstrip("/"))
        return list(spec.allowed_tools) if spec else []

    def missing_message(self, name: str, kind: str) -> str:
        labelled = [s.name for s in self.all() if s.label == name]
        if labelled and self.broken(name) is None:
            return (
                f"unknown {kind} `{name}`: that is the `name:` label of `{labelled[0]}`, and a skill "
                f"folder's skill is named after its folder (as in Claude Code); write `{labelled[0]}`."
            )
        return super().missing_message(name, kind)

    def bundle_dirs(self) -> list[Path]:
        """Folders holding bundled files, for a workspace that must let Read open them."""
        return sorted({s.source.parent.resolve() for s in self.all() if s.files})

    def system_prompt_section(
        self,
        injected: list[str],
        *,
        list_others: bool = True,
        workdir: Path | None = None,
        budget_chars: int = LISTING_BUDGET_CHARS,
    ) -> tuple[str, list[str]]:
        """Text for an agent's system prompt: its own skills in full, the rest by name.

        The list of other skills stays within `budget_chars` and says how many it leaves out. Returns
        the text and warnings (skills the agent names that do not exist, skills left out of the list).
        """
        warnings: list[str] = []
        wanted: list[str] = []
        for name in injected:
            if name in wanted:
                continue
            if self.get(name) is None:
                warnings.append(f"skills: {self.missing_message(name, 'skill')} The agent runs without it.")
            else:
                wanted.append(name)
        sections = [self.render(name, workdir=workdir) or "" for name in wanted]
        text = ""
        if sections:
            text = "# Skills\n\nThese skills are part of your instructions:\n\n" + "\n\n".join(sections)
        others = [s for s in self.all() if s.name not in wanted] if list_others else []
        if others:
            others.sort(key=lambda s: (_ORIGIN_RANK[s.origin], s.name))
            lines, left_out = _listing(others, budget_chars)
            if left_out:
                lines.append(
                    f"- ({left_out} more installed skills are not listed here; the Skill tool loads any "
                    "skill by its exact name)"
                )
                warnings.append(
                    f"skills: {left_out} of {len(others)} installed skills were left out of the agent's "
                    f"skill list, which is kept under {budget_chars:,} characters; it can still load "
                    "them by name"
                )
            text += (
                ("\n\n" if text else "")
                + "# Skills available on request\n\n"
                + "When a task matches one of these, load its full instructions with the Skill tool "
                + '(for example `Skill(skill="name")`) before you start that part of the work:\n'
                + "\n".join(lines)
            )
        return text, warnings


def _names(body: str, path: Path, folder: Path) -> bool:
    """Whether the skill's text names the bundled file `path` by its path inside the (resolved) skill
    folder."""
    try:
        rel = path.relative_to(folder).as_posix()
    except ValueError:
        return False
    return rel in body


def discover_skills(workdir: Path, *, home: Path | None = None) -> SkillCatalog:
    """All skills visible from `workdir`. Broken files become problems; they never raise."""
    return SkillCatalog(
        item for root, origin in search_roots(workdir, home, "skills") for item in _load(root, origin)
    )


def _load(root: Path, origin: Origin) -> Iterator[Loaded[SkillSpec]]:
    for path in _skill_files(root):
        yield load_guarded(path, lambda data, p: parse_skill_bytes(data, p, origin), _claimed_name, root)
