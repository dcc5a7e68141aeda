"""Which calls of its tools an agent may make: the pattern rules of its `tools:` and `disallowedTools:`
lists (`Bash(git:*)`), what its skills' `allowed-tools` add, and what may reach the network.

The toolset asks `refusal()` before every call; WebFetch asks `fetch_allowed()`. The `permissions` of
Claude Code's settings files apply on top, in Claude Code's order (deny, then ask, then allow, the
first match deciding): they can refuse a call, never allow one the agent's own rules refuse. An `ask`
has no one to answer it in an unattended run, so it refuses too, saying how to allow the call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.specs.claude_settings import PermissionRule
from shopfloor.specs.tool_rules import (
    ToolRule,
    parse_rule,
    rule_applies_to,
    rule_matches,
    split_command,
    unchecked_construct,
)
from shopfloor.tools.globs import path_glob_match

_SEARCHERS = ("Grep", "Glob", "LS")


@dataclass
class ToolPolicy:
    """Allow rules restrict a tool to what they match; deny rules refuse what they match."""

    root: Path
    allow: list[ToolRule] = field(default_factory=list)
    deny: list[ToolRule] = field(default_factory=list)
    web: bool = False
    """`[tools] web`: WebFetch may reach any host."""
    granted: list[ToolRule] = field(default_factory=list)
    """Rules added while the agent runs (a skill's `allowed-tools`), with where they came from."""
    settings: list[PermissionRule] = field(default_factory=list)
    """The `permissions` of Claude Code's settings files."""
    home: Path | None = None
    """What `~/` in a rule means (the user's home directory when None)."""
    _sources: dict[ToolRule, str] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path, allow: Iterable[str], deny: Iterable[str], *, web: bool = False) -> ToolPolicy:
        policy = cls(root=root, allow=[parse_rule(r) for r in allow], deny=[parse_rule(r) for r in deny])
        policy.web = web
        for rule in policy.allow:
            policy._sources[rule] = "`tools:`"
        return policy

    def grant(self, rules: Iterable[str], source: str) -> None:
        """Allow more (a skill's `allowed-tools`): a restricted tool also takes these calls now."""
        for text in rules:
            rule = parse_rule(text)
            if rule not in self.granted and rule not in self.allow:
                self.granted.append(rule)
                self._sources[rule] = source

    def refusal(self, tool: str, args: Mapping[str, Any]) -> str | None:
        """Why this call is not allowed (a message for the model), or None when it is."""
        said = self.settings_verdict(tool, args)
        if said is not None and said.kind == "deny":
            return f"Error: {tool} call refused: it matches the deny rule `{said.rule}` in {said.where}."
        if said is not None and said.kind == "ask":
            return ask_refusal(tool, f"the ask rule `{said.rule}` in {said.where}")
        for rule in self.deny:
            if rule.specifier is not None and self._matches(rule, tool, args, deny=True):
                return f"Error: {tool} call refused: it matches {rule} in this agent's `disallowedTools`."
        restricting = [r for r in self.allow if rule_applies_to(r, tool) and r.specifier is not None]
        if not restricting:
            return None
        extra = [r for r in self.granted if rule_applies_to(r, tool)]
        if any(r.specifier is None for r in extra):
            return None  # a skill in use allows the whole tool
        rules = restricting + extra
        if tool == "Bash":
            return self._bash_refusal(str(args.get("command", "")), rules)
        if any(self._matches(r, tool, args) for r in rules):
            return None
        listed = ", ".join(str(r) for r in rules)
        return (
            f"Error: this {tool} call is not allowed: this agent may use {tool} only as its rules say "
            f"({listed}, from {self._sources.get(rules[0], '`tools:`')})."
        )

    def settings_verdict(self, tool: str, args: Mapping[str, Any]) -> PermissionRule | None:
        """The deny or ask rule of the settings files that decides this call, if one does."""
        for kind in ("deny", "ask"):
            for entry in self.settings:
                if entry.kind == kind and self._settings_match(entry, tool, args):
                    return entry
        return None

    def denied_tools(self) -> list[str]:
        """Tools a bare deny rule names (`Bash`, `mcp__github`): not offered to the model at all."""
        return [e.rule.tool for e in self.settings if e.kind == "deny" and e.rule.specifier is None]

    def fetch_allowed(self, url: str) -> bool:
        """Whether WebFetch may download `url`: `[tools] web`, or an allow rule naming its domain."""
        if self.web:
            return True
        rules = [r for r in (*self.allow, *self.granted) if r.tool == "WebFetch" and r.specifier]
        return any(rule_matches(r, "WebFetch", {"url": url}) for r in rules)

    def _matches(self, rule: ToolRule, tool: str, args: Mapping[str, Any], *, deny: bool = False) -> bool:
        if deny and tool == "Bash":  # a deny rule refuses a command when any part of it matches
            parts = split_command(str(args.get("command", "")))
            return any(rule_matches(rule, tool, {"command": p}) for p in parts)
        return rule_matches(rule, tool, args, root=self.root, glob_match=path_glob_match)

    def _settings_match(self, entry: PermissionRule, tool: str, args: Mapping[str, Any]) -> bool:
        rule = entry.rule
        if rule.tool == "Read" and tool in _SEARCHERS and rule.specifier is not None:
            # Claude Code applies Read rules to the tools that read files, as best it can: the folder
            # or file they search.
            tool, args = "Read", {"path": str(args.get("path") or self.root)}
        if not rule_applies_to(rule, tool):
            return False
        if rule.specifier is None:
            return True
        if tool == "Bash":  # deny and ask take a command when any part of it matches
            parts = split_command(str(args.get("command", "")))
            return any(rule_matches(rule, tool, {"command": p}) for p in parts)
        home = self.home or Path.home()
        base = home if entry.scope == "user" else self.root
        return rule_matches(rule, tool, args, root=base, home=home, glob_match=path_glob_match)

    def _bash_refusal(self, command: str, rules: list[ToolRule]) -> str | None:
        listed = ", ".join(str(r) for r in rules)
        where = self._sources.get(rules[0], "`tools:`")
        construct = unchecked_construct(command)
        if construct is not None:
            return (
                f"Error: this agent may run only commands matching {listed} (from {where}), and a "
                f"command with `{construct}` cannot be checked against them. Run the inner command "
                "on its own first."
            )
        for part in split_command(command):
            if _is_cd(part):
                continue  # changing directory runs nothing; the shell keeps it inside the workspace
            if not any(rule_matches(r, "Bash", {"command": part}) for r in rules):
                return (
                    f"Error: this agent may run only commands matching {listed} (from {where}); "
                    f"`{part}` does not match, so nothing was run."
                )
        return None


def ask_refusal(tool: str, why: str) -> str:
    """A call that would need a person's yes, in a run with no one to ask."""
    return (
        f"Error: this {tool} call needs a person's confirmation ({why}), and this run is unattended, "
        "so it was not made. To let agents make such calls, a person moves the rule to "
        "`permissions.allow` in .claude/settings.local.json (or removes it)."
    )


def _is_cd(command: str) -> bool:
    words = command.split()
    return bool(words) and words[0] == "cd" and len(words) <= 2
