"""Reading one agent file: its frontmatter checked field by field, each problem with its line."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from shopfloor.specs import frontmatter
from shopfloor.specs.agents import CLAUDE_CODE_ONLY_TOOLS, SHOPFLOOR_TOOLS, AgentSpec
from shopfloor.specs.frontmatter import Frontmatter, FrontmatterError
from shopfloor.specs.hook_config import HookCommand, HookScope, parse_hooks
from shopfloor.specs.mcp_config import McpServerConfig, parse_servers
from shopfloor.specs.sources import Origin, SpecFileError, SpecProblem
from shopfloor.specs.tool_rules import RuleSyntaxError, parse_rule

__all__ = ["AgentFileError", "parse_agent_bytes", "parse_agent_file"]

_TOOL_ALIASES = {"KillShell": "KillBash"}  # newer Claude Code name for the same tool
# Tools whose rules take a pattern (`Bash(git:*)`); a pattern on any other tool means nothing.
_PATTERN_TOOLS = (
    "Bash", "WebFetch", "Agent", "Task", "Skill", "Read", "Edit", "Write", "MultiEdit", "NotebookEdit",
)  # fmt: skip
_CLAUDE_CODE_FIELDS = (
    "permissionMode", "memory", "background", "effort", "isolation", "initialPrompt",
)  # fmt: skip
# shopfloor's own extension: `command:` makes the agent an external program (see shopfloor.agent.external).
_SHOPFLOOR_FIELDS = ("command",)
_TOKEN = re.compile(r"[^,\s()]+(?:\([^)]*\))?")


class AgentFileError(SpecFileError):
    """An agent file that cannot be used."""


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
    if not data.strip():
        raise AgentFileError(path, 1, "the file is empty, so it is not an agent", severity="warning")
    try:
        fm = frontmatter.parse(data, required=False)
    except FrontmatterError as err:
        raise AgentFileError(path, err.line, err.message) from None
    if not fm.present or "name" not in fm.data:
        # Claude Code takes Markdown without a `name` for documentation and skips it quietly.
        what = "no frontmatter" if not fm.present else "no `name` field"
        raise AgentFileError(
            path,
            fm.start_line,
            f"{what}, so this is not an agent (Claude Code reads it as documentation and skips it); "
            "give it `name:` and `description:` in YAML frontmatter to make it one",
            severity="warning",
        )
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
        # Claude Code documents lowercase-and-hyphens but loads any name without `:` (kept for plugin
        # namespaces) that does not start with `-`; names with spaces are common.
        if ":" in name or name.startswith("-") or any(ord(c) < 32 for c in name):
            raise self.fail(
                "name", f"the name `{name}` may not contain `:` or control characters, or start with `-`"
            )
        for key, line in self.fm.duplicates:
            self.warn(line, f"`{key}` appears more than once; the last one is used")
        for key, line in self.fm.quoted:
            self.warn(line, frontmatter.quoted_warning(key))
        tools, rules = self.tool_list("tools", allowed=True)
        denied, denied_rules = self.tool_list("disallowedTools", allowed=False)
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
            # Claude Code's loader turns a literal `\n` in the description into a line break.
            description=description.replace("\\n", "\n"),
            body=self.fm.body,
            source=self.path,
            origin=origin,
            tools=tools,
            tool_rules=rules,
            disallowed_tools=denied or [],
            denied_rules=denied_rules,
            model=self.text("model", required=False),
            skills=self.skill_list(),
            max_turns=self.max_turns(),
            color=self.text("color", required=False),
            extra=extra,
        )
        scope: HookScope = "user" if origin == "user" else "project"
        spec.hooks = self.hooks(scope)
        spec.mcp_servers, spec.mcp_server_names = self.mcp_servers()
        spec.warnings = [f"line {w.line}: {w.message}" for w in self.warnings]
        return spec, list(self.warnings)

    def tokens(self, key: str, what: str) -> list[tuple[str, int]]:
        """The names in a comma/space separated string or a YAML list, each with its line."""
        value = self.fm.data.get(key)
        if value is None:
            return []
        line = self.fm.line_of(key)
        if isinstance(value, str):
            return [(t, line) for t in _TOKEN.findall(value)]
        if isinstance(value, list):
            lines = self.fm.item_lines.get(key, [])
            out: list[tuple[str, int]] = []
            for i, item in enumerate(value):
                at = lines[i] if i < len(lines) else line
                if not isinstance(item, str):
                    self.warn(at, f"`{key}` item {item!r} is not text, so it is ignored")
                    continue
                out += [(t, at) for t in _TOKEN.findall(item)]
            return out
        raise self.fail(key, f"`{key}` must be a comma-separated string or a YAML list of {what}")

    def tool_list(self, key: str, *, allowed: bool) -> tuple[list[str] | None, list[str]]:
        """The tool names of `tools:`/`disallowedTools:` and their pattern rules (`Bash(git:*)`).

        As in Claude Code: absent means every tool; present but empty (`[]`, `""`, null) means none.
        """
        if key not in self.fm.data:
            return None, []
        found = self.tokens(key, "tool names")
        if allowed and any(t == "*" for t, _ in found):
            return None, []
        names: list[str] = []
        rules: list[str] = []
        bare: set[str] = set()
        for raw, line in found:
            parsed = self.tool_rule(raw, line)
            if parsed is None:
                continue
            name, rule = parsed
            if rule is None:
                bare.add(name)
                self.check_name(name, line)
            else:
                rules.append(rule)
            if name not in names and (allowed or rule is None):
                names.append(name)
        if allowed:
            # A tool listed bare as well as with a pattern is allowed whole.
            rules = [r for r in rules if parse_rule(r).tool not in bare]
            if found and not any(n in SHOPFLOOR_TOOLS or n.startswith("mcp__") for n in names):
                listed = ", ".join(t for t, _ in found)
                self.warn(
                    self.fm.line_of(key),
                    f"none of the tools listed ({listed}) is available in shopfloor, so the agent "
                    "cannot start (Claude Code refuses such an agent too)",
                )
        return names, rules

    def tool_rule(self, raw: str, line: int) -> tuple[str, str | None] | None:
        """(tool name, the rule text when it has a pattern), or None for an entry that is no rule."""
        try:
            rule = parse_rule(raw)
        except RuleSyntaxError as err:
            self.warn(line, f"{err}; the entry is ignored")
            return None
        name = _TOOL_ALIASES.get(rule.tool, rule.tool)
        if rule.specifier is None:
            return name, None
        if name not in _PATTERN_TOOLS:
            self.check_name(name, line)
            self.warn(line, f"`{raw}`: a pattern means nothing for {name}, so all of {name} is meant")
            return name, None
        if name == "WebFetch" and not rule.specifier.startswith("domain:"):
            self.warn(line, f"`{raw}`: WebFetch rules are written `WebFetch(domain:example.com)`")
        return name, f"{name}({rule.specifier})"

    def check_name(self, name: str, line: int) -> None:
        if name in SHOPFLOOR_TOOLS:
            return
        if name.startswith("mcp__"):
            return  # provided by an MCP server, when one of that name is configured
        if name in CLAUDE_CODE_ONLY_TOOLS:
            self.warn(line, f"`{name}` is a Claude Code tool that shopfloor does not provide")
        else:
            close = difflib.get_close_matches(name, SHOPFLOOR_TOOLS + CLAUDE_CODE_ONLY_TOOLS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.warn(line, f"unknown tool `{name}`{hint}")

    def hooks(self, scope: HookScope) -> list[HookCommand]:
        if "hooks" not in self.fm.data:
            return []
        hooks, problems = parse_hooks(self.fm.data["hooks"], self.path, scope, in_agent=True)
        for problem in problems:
            self.warn(self.fm.line_of("hooks"), problem)
        return hooks

    def mcp_servers(self) -> tuple[list[McpServerConfig], list[str]]:
        """`mcpServers:` as a list of names and `{name: definition}` items, or one mapping."""
        value = self.fm.data.get("mcpServers")
        if value is None:
            return [], []
        line = self.fm.line_of("mcpServers")
        items = list(value.items()) if isinstance(value, dict) else value
        if not isinstance(items, list):
            self.warn(line, "`mcpServers` must be a list of server names or definitions; it is ignored")
            return [], []
        names: list[str] = []
        inline: dict[str, Any] = {}
        for item in items:
            if isinstance(item, str):
                names.append(item.strip())
            elif isinstance(item, tuple):
                inline[str(item[0])] = item[1]
            elif isinstance(item, dict):
                inline.update({str(k): v for k, v in item.items()})
            else:
                self.warn(line, f"`mcpServers` item {item!r} is neither a name nor a definition")
        servers, problems = parse_servers(inline, self.path, "agent")
        for problem in problems:
            self.warn(line, problem)
        return servers, names

    def skill_list(self) -> list[str]:
        out: list[str] = []
        for name, _ in self.tokens("skills", "skill names"):
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
            # Claude Code logs an invalid value and runs without the limit; so do we, out loud.
            self.warn(
                self.fm.line_of("maxTurns"),
                f"`maxTurns` must be a whole number of at least 1, not {value!r}; it is ignored",
            )
            return None
        return value


_FIELDS = (
    "name", "description", "tools", "disallowedTools", "model", "skills", "maxTurns", "color", "hooks",
    "mcpServers",
)  # fmt: skip
