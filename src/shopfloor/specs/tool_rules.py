"""Claude Code's tool-rule syntax, `Tool` or `Tool(specifier)`: parsing and matching one call.

The same rules appear in an agent's `tools:` and `disallowedTools:`, a skill's `allowed-tools` and
the `permissions` of Claude Code's settings files, so everything that reads one uses this module:

- `Bash(npm run test *)`: glob-style `*` anywhere; `Bash(npm run test:*)` (legacy, only at the end)
  means the same as a trailing ` *`; a space before `*` keeps a word boundary (`ls *` is not `lsof`).
  A compound command (`&&`, `||`, `;`, `|`, `&`, newline) matches only when each part does, after the
  wrappers `timeout`, `time`, `nice`, `nohup`, `stdbuf` and a bare `xargs` are taken off.
- `WebFetch(domain:example.com)`: the URL's host (`*.example.com` also takes its subdomains).
- `Agent(worker, researcher)` (old name `Task`): the agent types that may be started.
- `Skill(name)`: one skill by name.
- `Read(path)`, `Edit(path)` (which also covers Write, MultiEdit and NotebookEdit): gitignore-style
  patterns, matched by a glob function the caller passes in (the tools room owns the translator).
- `mcp__server__tool`, one tool of an MCP server; `mcp__server` (or `mcp__server__*`), all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "GlobMatch",
    "RuleSyntaxError",
    "ToolRule",
    "bash_pattern_matches",
    "parse_rule",
    "parse_rules",
    "rule_applies_to",
    "rule_matches",
    "split_command",
    "unchecked_construct",
]

GlobMatch = Callable[[str, str], bool]
"""(glob, path relative to the glob's base, `/`-separated) -> does it match."""

_RULE = re.compile(r"^([A-Za-z_][\w-]*)(?:\((.*)\))?$", re.DOTALL)
# Which tools a rule written for one tool also governs.
_COVERS = {
    "Edit": ("Edit", "Write", "MultiEdit", "NotebookEdit"),
    "Read": ("Read", "NotebookRead"),
    "Agent": ("Agent", "Task"),
    "Task": ("Agent", "Task"),
}
_PATH_INPUTS = ("file_path", "notebook_path", "path")
_WRAPPERS = ("timeout", "time", "nice", "nohup", "stdbuf", "xargs")
_SUBSTITUTION = re.compile(r"\$\(|`|<\(|>\(")


class RuleSyntaxError(ValueError):
    """A rule that is not `Tool` or `Tool(specifier)`."""


@dataclass(frozen=True)
class ToolRule:
    """One rule: a tool name and, optionally, what of that tool it covers."""

    tool: str
    specifier: str | None = None

    @property
    def text(self) -> str:
        return self.tool if self.specifier is None else f"{self.tool}({self.specifier})"

    def __str__(self) -> str:
        return self.text


def parse_rule(text: str) -> ToolRule:
    """`Bash`, `Bash(git:*)`, `WebFetch(domain:x.org)`; an empty specifier or `*` is the bare tool."""
    text = text.strip()
    if text.startswith("mcp__") and text.endswith("__*"):
        text = text[:-3]  # every tool of the server
    match = _RULE.match(text)
    if match is None:
        raise RuleSyntaxError(f"`{text.strip()}` is not a tool rule; write `Tool` or `Tool(pattern)`")
    tool, spec = match.group(1), match.group(2)
    if spec is not None and spec.count("(") != spec.count(")"):
        raise RuleSyntaxError(f"`{text.strip()}` has unbalanced parentheses")
    spec = spec.strip() if spec is not None else None
    return ToolRule(tool, spec if spec not in (None, "", "*") else None)


def rule_applies_to(rule: ToolRule, tool: str) -> bool:
    """Whether `rule` speaks about calls to `tool` (an Edit rule also covers Write, and so on; a rule
    naming an MCP server, `mcp__github`, covers each of its tools)."""
    if rule.tool.startswith("mcp__") and rule.tool.count("__") == 1:
        return tool.startswith(rule.tool + "__")
    return tool in _COVERS.get(rule.tool, (rule.tool,))


def rule_matches(
    rule: ToolRule,
    tool: str,
    args: Mapping[str, Any],
    *,
    root: Path | None = None,
    home: Path | None = None,
    glob_match: GlobMatch | None = None,
) -> bool:
    """Whether one call (`tool` with `args`) falls under `rule`.

    For a Bash command this is "every part of the command matches"; path rules need `glob_match`
    (and `root`, the directory relative patterns start from) and never match without it.
    """
    if not rule_applies_to(rule, tool):
        return False
    spec = rule.specifier
    if spec is None:
        return True
    if tool == "Bash":
        parts = split_command(str(args.get("command", "")))
        return bool(parts) and all(bash_pattern_matches(spec, p) for p in parts)
    if tool == "WebFetch":
        return _domain_matches(spec, str(args.get("url", "")))
    if tool in ("Agent", "Task"):
        names = {n.strip() for n in re.split(r"[,\s]+", spec) if n.strip()}
        return str(args.get("subagent_type") or "general-purpose") in names
    if tool == "Skill":
        return str(args.get("skill", "")).strip().lstrip("/") == spec
    target = next((str(args[k]) for k in _PATH_INPUTS if args.get(k)), None)
    if target is None or glob_match is None or root is None:
        return False
    return _path_matches(spec, target, root=root, home=home or Path.home(), glob_match=glob_match)


# --- Bash ---------------------------------------------------------------------------------------


def bash_pattern_matches(pattern: str, command: str) -> bool:
    """One simple command (no `&&` or `|`) against one Bash specifier."""
    pattern = pattern.strip()
    command = command.strip()
    if pattern.endswith(":*"):
        pattern = pattern[:-2] + " *"
    pieces = pattern.split("*")
    regex = ""
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if not last and i == len(pieces) - 2 and piece.endswith(" ") and pieces[-1] == "":
            # `ls *`: `ls` alone or `ls` then a space and anything, never `lsof`.
            regex += re.escape(piece[:-1]) + "(?:[ \t].*)?"
            break
        regex += re.escape(piece)
        if not last:
            regex += ".*"
    return re.fullmatch(regex, command, re.DOTALL) is not None


def unchecked_construct(command: str) -> str | None:
    """A part of `command` no rule can vouch for (a command substitution), or None."""
    found = _SUBSTITUTION.search(_outside_single_quotes(command))
    return found.group(0) if found else None


def split_command(command: str) -> list[str]:
    """The simple commands of a shell line, split at `&&`, `||`, `;`, `|`, `&` and newlines outside
    quotes, each without the wrappers Claude Code takes off before matching."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i, n = 0, len(command)
    while i < n:
        c = command[i]
        if quote is not None:
            current.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                current.append(command[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c == "\\" and i + 1 < n:
            current += [c, command[i + 1]]
            i += 1
        elif c in "'\"":
            quote = c
            current.append(c)
        elif c in ";\n" or (c == "|" and not _after_redirect(command, i)):
            parts.append("".join(current))
            current = []
            if c == "|" and i + 1 < n and command[i + 1] in "|&":
                i += 1
        elif c == "&":
            if _after_redirect(command, i) or (i + 1 < n and command[i + 1] == ">"):
                current.append(c)  # `2>&1`, `&>file`: a redirection, not a separator
            else:
                parts.append("".join(current))
                current = []
                if i + 1 < n and command[i + 1] == "&":
                    i += 1
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return [_strip_wrappers(p.strip()) for p in parts if p.strip()]


def _after_redirect(command: str, i: int) -> bool:
    return i > 0 and command[i - 1] in "<>"


def _outside_single_quotes(command: str) -> str:
    return re.sub(r"'[^']*'", "''", command)


def _strip_wrappers(command: str) -> str:
    """`timeout 30 npm test` -> `npm test`; `nice -n 5 make` -> `make`; a bare `xargs grep x` too."""
    while True:
        words = command.split()
        if not words or words[0] not in _WRAPPERS:
            return command
        head, rest = words[0], words[1:]
        if head == "xargs" and rest and rest[0].startswith("-"):
            return command  # xargs with options is a command of its own
        while rest and rest[0].startswith("-"):
            option = rest.pop(0)
            if head in ("nice", "timeout") and option in ("-n", "-s", "-k") and rest:
                rest.pop(0)
        if head == "timeout" and rest:
            rest.pop(0)  # the duration
        if not rest:
            return command
        command = " ".join(rest)


# --- WebFetch and paths -------------------------------------------------------------------------


def _domain_matches(spec: str, url: str) -> bool:
    if not spec.startswith("domain:"):
        return False
    want = spec.removeprefix("domain:").strip().lower().rstrip(".")
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or not want:
        return False
    if want.startswith("*."):
        return host.endswith(want[1:])
    return host == want


def _path_matches(spec: str, target: str, *, root: Path, home: Path, glob_match: GlobMatch) -> bool:
    if spec.startswith("//"):
        base, glob = Path("/"), spec[2:]
    elif spec.startswith("~/"):
        base, glob = home, spec[2:]
    elif spec.startswith("./"):
        base, glob = root, spec[2:]
    elif spec.startswith("/"):
        base, glob = root, spec[1:]
    else:  # gitignore: a pattern without a slash matches at any depth
        base, glob = root, spec if "/" in spec.rstrip("/") else f"**/{spec}"
    path = Path(target)
    path = path if path.is_absolute() else root / path
    try:
        rel = path.resolve(strict=False).relative_to(base.resolve(strict=False))
    except ValueError:
        return False
    if glob.endswith("/"):
        glob += "**"
    return glob_match(glob, rel.as_posix())


def parse_rules(texts: Iterable[str]) -> list[ToolRule]:
    """Every rule of a list, skipping none: raises RuleSyntaxError on the first bad one."""
    return [parse_rule(t) for t in texts]
