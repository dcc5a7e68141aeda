"""Claude Code's settings files for one project, read as Claude Code reads them.

Files, lowest precedence first: the user's `~/.claude/settings.json`, the project's
`.claude/settings.json`, then `.claude/settings.local.json`. Permission rules and hooks of every file
add up (a deny anywhere cannot be undone by an allow elsewhere); for MCP servers of one name the
nearest definition wins: local over project (`.mcp.json`, `.claude/settings.json`) over user
(`~/.claude/settings.json`, `~/.claude.json`).

A project's hooks and MCP servers are commands and connections a repository carries; they run only
after the user approved them (`specs/approvals.py`). The user's own files need no approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shopfloor.specs.hook_config import HookCommand, HookScope, parse_hooks, unique
from shopfloor.specs.mcp_config import McpServerConfig, parse_servers
from shopfloor.specs.tool_rules import RuleSyntaxError, ToolRule, parse_rule

__all__ = [
    "HONOURED_KEYS",
    "ClaudeSettings",
    "PermissionRule",
    "RuleKind",
    "SettingsProblem",
    "load_claude_settings",
]

RuleKind = Literal["allow", "ask", "deny"]
HONOURED_KEYS = ("permissions", "hooks", "disableAllHooks", "mcpServers", "disabledMcpjsonServers")
"""Top-level settings keys shopfloor acts on; every other key is read and has no effect."""
_PERMISSION_KEYS: tuple[RuleKind, ...] = ("allow", "ask", "deny")
_SCOPE_RANK = {"user": 0, "project": 1, "local": 2, "agent": 3}


@dataclass(frozen=True)
class PermissionRule:
    """One `permissions` entry and the file it came from. A project file's `/path` patterns start at
    the checkout the agent works in; a user file's at the home directory."""

    kind: RuleKind
    rule: ToolRule
    source: Path
    scope: HookScope

    @property
    def where(self) -> str:
        """The file, as a person names it: `.claude/settings.json`, `~/.claude/settings.json`."""
        return f"{'~/' if self.scope == 'user' else ''}.claude/{self.source.name}"


@dataclass(frozen=True)
class SettingsProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ClaudeSettings:
    """Everything of Claude Code's settings that shopfloor honours, for one project."""

    project: Path
    files: list[Path] = field(default_factory=list)
    """The settings files found, lowest precedence first."""
    rules: list[PermissionRule] = field(default_factory=list)
    hooks: list[HookCommand] = field(default_factory=list)
    servers: dict[str, McpServerConfig] = field(default_factory=dict)
    problems: list[SettingsProblem] = field(default_factory=list)
    ignored_keys: dict[str, list[str]] = field(default_factory=dict)
    """Per file, the keys read that have no effect in shopfloor."""
    hooks_disabled: bool = False

    def rules_of(self, kind: RuleKind) -> list[PermissionRule]:
        return [r for r in self.rules if r.kind == kind]

    @property
    def project_hooks(self) -> list[HookCommand]:
        """The hooks the repository carries (project and local files), which need approval."""
        return [h for h in self.hooks if h.scope in ("project", "local")]

    @property
    def project_servers(self) -> list[McpServerConfig]:
        return [s for s in self.servers.values() if s.scope in ("project", "local")]

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.project).as_posix()
        except ValueError:
            return path.as_posix()


def load_claude_settings(project: Path, *, home: Path | None = None) -> ClaudeSettings:
    """Read the project's and the user's settings; problems are collected, never raised."""
    home = Path.home() if home is None else home
    found = ClaudeSettings(project=project)
    files: list[tuple[Path, HookScope]] = [
        (home / ".claude" / "settings.json", "user"),
        (project / ".claude" / "settings.json", "project"),
        (project / ".claude" / "settings.local.json", "local"),
    ]
    if (home / ".claude").resolve() == (project / ".claude").resolve():
        files = files[1:]  # the project is the home directory: one file, read once as the project's
    disabled: set[str] = set()
    _user_claude_json(home, project, found)
    mcp_json = project / ".mcp.json"
    data = _read(mcp_json, found)
    if data is not None:
        found.files.append(mcp_json)
        _add_servers(found, data.get("mcpServers"), mcp_json, "project")
    for path, scope in files:
        data = _read(path, found)
        if data is None:
            continue
        found.files.append(path)
        _permissions(found, data.get("permissions"), path, scope)
        hooks, problems = parse_hooks(data.get("hooks"), path, scope)
        found.hooks += hooks
        found.problems += [SettingsProblem(path, p) for p in problems]
        if data.get("disableAllHooks") is True:
            found.hooks_disabled = True
        _add_servers(found, data.get("mcpServers"), path, scope)
        names = data.get("disabledMcpjsonServers")
        if isinstance(names, list):
            disabled |= {str(n) for n in names}
        ignored = [k for k in data if k not in HONOURED_KEYS and k != "$schema"]
        if ignored:
            found.ignored_keys[str(path)] = ignored
    # Of two servers with one name the nearest scope wins: local over project over user.
    ranked = sorted(found.servers.values(), key=lambda s: _SCOPE_RANK[s.scope])
    found.servers = {}
    for server in ranked:
        if not (server.name in disabled and server.source == mcp_json):
            found.servers[server.name] = server
    found.hooks = [] if found.hooks_disabled else unique(found.hooks)
    return found


def _user_claude_json(home: Path, project: Path, found: ClaudeSettings) -> None:
    """`claude mcp add` keeps user servers in `~/.claude.json`, and local ones under its project."""
    path = home / ".claude.json"
    if not path.is_file():
        return
    data = _read(path, found)
    if data is None:
        return
    _add_servers(found, data.get("mcpServers"), path, "user")
    projects = data.get("projects")
    if isinstance(projects, dict):
        mine = projects.get(str(project))
        if isinstance(mine, dict):
            _add_servers(found, mine.get("mcpServers"), path, "local")


def _add_servers(found: ClaudeSettings, value: object, path: Path, scope: HookScope) -> None:
    servers, problems = parse_servers(value, path, scope)
    found.problems += [SettingsProblem(path, p) for p in problems]
    for server in servers:
        # Keyed by name and scope until `load_claude_settings` ranks them.
        found.servers[f"{scope}\0{server.name}"] = server


def _permissions(found: ClaudeSettings, value: object, path: Path, scope: HookScope) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        found.problems.append(SettingsProblem(path, "`permissions` must be an object"))
        return
    for kind in _PERMISSION_KEYS:
        entries = value.get(kind) or []
        if not isinstance(entries, list):
            found.problems.append(SettingsProblem(path, f"permissions.{kind} must be a list of rules"))
            continue
        for entry in entries:
            try:
                rule = parse_rule(str(entry))
            except RuleSyntaxError as err:
                found.problems.append(SettingsProblem(path, f"permissions.{kind}: {err}; it is ignored"))
                continue
            found.rules.append(PermissionRule(kind, rule, path, scope))
    others = [k for k in value if k not in _PERMISSION_KEYS]
    if others:
        found.problems.append(
            SettingsProblem(path, f"permissions.{', permissions.'.join(others)}: not used by shopfloor")
        )


def _read(path: Path, found: ClaudeSettings) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        found.problems.append(SettingsProblem(path, f"cannot be read: {err}; it is ignored"))
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        found.problems.append(
            SettingsProblem(path, f"is not valid JSON (line {err.lineno}: {err.msg}); it is ignored")
        )
        return None
    if not isinstance(data, dict):
        found.problems.append(SettingsProblem(path, "must hold a JSON object; it is ignored"))
        return None
    return data
