"""Agent definitions: parse Markdown agent files, discover them, apply precedence."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.specs import frontmatter
from shopfloor.specs.frontmatter import Frontmatter, FrontmatterError
from shopfloor.specs.sources import (
    Layered,
    Loaded,
    Origin,
    SpecFileError,
    SpecProblem,
    load_guarded,
    search_roots,
)

__all__ = [
    "CLAUDE_CODE_ONLY_TOOLS",
    "SHOPFLOOR_TOOLS",
    "AgentCatalog",
    "AgentFileError",
    "AgentSpec",
    "Origin",
    "SpecProblem",
    "discover_agents",
    "parse_agent_bytes",
    "parse_agent_file",
]

SHOPFLOOR_TOOLS = (
    "Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "Bash", "BashOutput", "KillBash", "Skill",
)  # fmt: skip
"""Tools shopfloor provides."""
CLAUDE_CODE_ONLY_TOOLS = (
    "WebFetch", "WebSearch", "TodoWrite", "TodoRead", "NotebookEdit", "NotebookRead", "Task", "Agent",
    "ExitPlanMode", "LS", "SlashCommand", "AskUserQuestion", "ListMcpResourcesTool", "ReadMcpResourceTool",
)  # fmt: skip
"""Claude Code tools an agent file may name; shopfloor accepts the names but does not offer the tools."""
_TOOL_ALIASES = {"KillShell": "KillBash"}  # newer Claude Code name for the same tool
_CLAUDE_CODE_FIELDS = ("permissionMode", "hooks", "mcpServers")
# shopfloor's own extension: `command:` makes the agent an external program (see shopfloor.agent.external).
_SHOPFLOOR_FIELDS = ("command",)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOKEN = re.compile(r"[^,\s()]+(?:\([^)]*\))?")


class AgentFileError(SpecFileError):
    """An agent file that cannot be used."""


@dataclass
class AgentSpec:
    """One agent: its frontmatter fields and its body, which is the system prompt."""

    name: str
    description: str
    body: str
    source: Path
    origin: Origin
    tools: list[str] | None = None
    """None means every tool shopfloor provides."""
    disallowed_tools: list[str] = field(default_factory=list)
    model: str | None = None
    skills: list[str] = field(default_factory=list)
    max_turns: int | None = None
    color: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Frontmatter fields shopfloor does not use, kept as written."""
    warnings: list[str] = field(default_factory=list)
    """Non-fatal problems, each as `line N: message`."""


def parse_agent_file(path: Path, origin: Origin = "project") -> AgentSpec:
    """Read and check one agent file. Raises AgentFileError (with file and line) when it is unusable."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise AgentFileError(path, 1, f"cannot read the file: {err.strerror or err}") from None
    spec, _ = parse_agent_bytes(data, path, origin)
    return spec


def parse_agent_bytes(data: bytes, path: Path, origin: Origin) -> tuple[AgentSpec, list[SpecProblem]]:
    """Parse agent file contents; returns the spec and its warnings as problems."""
    try:
        fm = frontmatter.parse(data)
    except FrontmatterError as err:
        raise AgentFileError(path, err.line, err.message) from None
    return _AgentParser(path, fm).build(origin)


class _AgentParser:
    def __init__(self, path: Path, fm: Frontmatter):
        self.path = path
        self.fm = fm
        self.warnings: list[SpecProblem] = []

    def fail(self, key: str | None, message: str) -> AgentFileError:
        line = self.fm.line_of(key) if key else self.fm.start_line
        return AgentFileError(self.path, line, message)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(SpecProblem(path=self.path, line=line, message=message, severity="warning"))

    def text(self, key: str, *, required: bool) -> str | None:
        value = self.fm.data.get(key)
        if value is None:
            if required:
                raise self.fail(
                    None,
                    f"the frontmatter (lines {self.fm.start_line}-{self.fm.end_line}) "
                    f"has no `{key}` field, which every agent needs",
                )
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"`{key}` must be text, not a YAML {type(value).__name__}")
        if not value.strip():
            if required:
                raise self.fail(key, f"`{key}` is empty")
            return None
        return value.strip()

    def build(self, origin: Origin) -> tuple[AgentSpec, list[SpecProblem]]:
        data = self.fm.data
        name = self.text("name", required=True)
        description = self.text("description", required=True)
        assert name is not None and description is not None
        if not _NAME.match(name):
            raise self.fail("name", f"the name `{name}` may use only letters, digits, `-`, `_` and `.`")
        for key, line in self.fm.duplicates:
            self.warn(line, f"`{key}` appears more than once; the last one is used")
        for key, line in self.fm.quoted:
            self.warn(line, frontmatter.quoted_warning(key))
        tools = self.tool_list("tools", allowed=True)
        denied = self.tool_list("disallowedTools", allowed=False) or []
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in _FIELDS:
                continue
            extra[key] = value
            if key in _SHOPFLOOR_FIELDS:
                if not isinstance(value, str) or not value.strip():
                    raise self.fail(key, f"`{key}` must be a shell command line")
            elif key in _CLAUDE_CODE_FIELDS:
                self.warn(self.fm.line_of(key), f"`{key}` is a Claude Code field shopfloor does not use")
            else:
                self.warn(self.fm.line_of(key), f"unknown field `{key}` is kept but has no effect")
        if not self.fm.body:
            self.warn(self.fm.body_line, "the body is empty, so the agent has no instructions")
        spec = AgentSpec(
            name=name,
            description=description,
            body=self.fm.body,
            source=self.path,
            origin=origin,
            tools=tools,
            disallowed_tools=denied,
            model=self.text("model", required=False),
            skills=self.skill_list(),
            max_turns=self.max_turns(),
            color=self.text("color", required=False),
            extra=extra,
        )
        spec.warnings = [f"line {w.line}: {w.message}" for w in self.warnings]
        return spec, list(self.warnings)

    def tokens(self, key: str, what: str) -> list[tuple[str, int]] | None:
        """The names in a comma/space separated string or a YAML list, each with its line."""
        value = self.fm.data.get(key)
        if value is None:
            return None
        line = self.fm.line_of(key)
        if isinstance(value, str):
            return [(t, line) for t in _TOKEN.findall(value)]
        if isinstance(value, list):
            lines = self.fm.item_lines.get(key, [])
            out: list[tuple[str, int]] = []
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.fail(key, f"`{key}` must list {what} as text; item {i + 1} is {item!r}")
                out += [(t, lines[i] if i < len(lines) else line) for t in _TOKEN.findall(item)]
            return out
        raise self.fail(key, f"`{key}` must be a comma-separated string or a YAML list of {what}")

    def tool_list(self, key: str, *, allowed: bool) -> list[str] | None:
        found = self.tokens(key, "tool names")
        if found is None:
            return None
        if not found:
            hint = "; leave the field out to allow every tool" if allowed else ""
            raise self.fail(key, f"`{key}` is empty{hint}")
        if allowed and any(t == "*" for t, _ in found):
            return None
        names: list[str] = []
        for raw, line in found:
            name = self.tool_name(raw, line, allowed=allowed)
            if name is not None and name not in names:
                names.append(name)
        if allowed and not any(n in SHOPFLOOR_TOOLS for n in names):
            listed = ", ".join(t for t, _ in found)
            raise self.fail(
                key,
                f"none of the tools listed ({listed}) is one shopfloor provides; "
                f"use some of: {', '.join(SHOPFLOOR_TOOLS)}, or leave `{key}` out to allow all",
            )
        return names

    def tool_name(self, raw: str, line: int, *, allowed: bool) -> str | None:
        name, _, pattern = raw.partition("(")
        name = _TOOL_ALIASES.get(name, name)
        if pattern:
            if not allowed:
                self.warn(line, f"`{raw}`: argument patterns are not supported, so this rule is ignored")
                return None
            self.warn(line, f"`{raw}`: argument patterns are not supported; all of {name} is allowed")
        if name in SHOPFLOOR_TOOLS:
            return name
        if name in CLAUDE_CODE_ONLY_TOOLS or name.startswith("mcp__"):
            self.warn(line, f"`{name}` is a Claude Code tool that shopfloor does not provide")
        else:
            close = difflib.get_close_matches(name, SHOPFLOOR_TOOLS + CLAUDE_CODE_ONLY_TOOLS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.warn(line, f"unknown tool `{name}`{hint}")
        return name

    def skill_list(self) -> list[str]:
        found = self.tokens("skills", "skill names") or []
        out: list[str] = []
        for name, _ in found:
            if name not in out:
                out.append(name)
        return out

    def max_turns(self) -> int | None:
        value = self.fm.data.get("maxTurns")
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail("maxTurns", f"`maxTurns` must be a whole number of at least 1, not {value!r}")
        return value


_FIELDS = ("name", "description", "tools", "disallowedTools", "model", "skills", "maxTurns", "color")


class AgentCatalog(Layered[AgentSpec]):
    """Every agent found, by name, after precedence (project > user > built-in)."""


def discover_agents(workdir: Path, *, home: Path | None = None) -> AgentCatalog:
    """All agents visible from `workdir`. Broken files become problems; they never raise."""
    roots = search_roots(workdir, home, "agents")
    return AgentCatalog(item for root, origin in roots for item in _load(root, origin))


def _agent_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if any(p.startswith(".") for p in rel.parts) or path.name.lower() == "readme.md":
            continue
        if path.is_file():
            yield path


def _load(root: Path, origin: Origin) -> Iterator[Loaded[AgentSpec]]:
    for path in _agent_files(root):
        yield load_guarded(path, lambda data, p: parse_agent_bytes(data, p, origin), _claimed_name)


def _claimed_name(data: bytes, path: Path) -> str:
    """The name a file that failed to parse was meant to define: its `name:` line, else its stem."""
    match = re.search(rb"^name:[ \t]*['\"]?([A-Za-z0-9._-]+)", data, re.MULTILINE)
    return match.group(1).decode() if match else path.stem
