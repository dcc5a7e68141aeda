"""Claude Code's hook configuration: `{"hooks": {"Event": [{"matcher": "...", "hooks": [...]}]}}`.

The same shape appears in settings files and in an agent's frontmatter (where a `Stop` hook means
`SubagentStop`). Only `command` handlers run in shopfloor; the other handler types are reported.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "FIRED_EVENTS",
    "UNMATCHED_EVENTS",
    "HookCommand",
    "HookScope",
    "file_digest",
    "hook_scripts",
    "matcher_matches",
    "parse_hooks",
]

FIRED_EVENTS = (
    "PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SubagentStop", "SessionStart", "SessionEnd",
)  # fmt: skip
"""The events shopfloor fires; hooks for Claude Code's other events are read and reported, never run."""
UNMATCHED_EVENTS = ("UserPromptSubmit", "Stop")
"""Events Claude Code fires for every occurrence: a matcher written on them is ignored."""
DEFAULT_TIMEOUT_S = 600.0
"""Claude Code's default for a command hook."""
HookScope = Literal["user", "project", "local", "agent"]
_EXACT = re.compile(r"[A-Za-z0-9_|, -]*")


@dataclass(frozen=True)
class HookCommand:
    """One command to run when `event` fires for a subject `matcher` accepts."""

    event: str
    matcher: str
    command: str
    timeout_s: float
    source: Path
    """The file it came from (a settings file, or an agent file)."""
    scope: HookScope
    condition: str | None = None
    """Claude Code's `if`: a permission rule (`Bash(git *)`) the tool call must match as well."""
    scripts: tuple[tuple[str, str], ...] = ()
    """The project's files the command names (`.claude/hooks/check.sh`), each with the SHA-256 of its
    content, so that approving the hook approves what they hold (see `with_scripts`)."""

    @property
    def fired(self) -> bool:
        return self.event in FIRED_EVENTS

    def identity(self) -> dict[str, Any]:
        """What approving this hook approves (its place, event, matcher and command line)."""
        return {
            "event": self.event,
            "matcher": self.matcher,
            "command": self.command,
            "timeout_s": self.timeout_s,
            "if": self.condition,
            "scripts": dict(self.scripts),
        }

    def with_scripts(self, project: Path) -> HookCommand:
        """This hook with the content hash of each file of `project` its command names."""
        return replace(self, scripts=hook_scripts(self.command, project))


def hook_scripts(command: str, project: Path) -> tuple[tuple[str, str], ...]:
    """The files inside `project` a command line names (`"$CLAUDE_PROJECT_DIR"/.claude/hooks/x.sh`,
    `python3 .claude/hooks/x.py`), as (path relative to `project`, SHA-256 of the content)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: the words as they stand
        words = command.split()
    root = project.resolve()
    found: dict[str, str] = {}
    for word in words:
        word = word.replace("${CLAUDE_PROJECT_DIR}", str(root)).replace("$CLAUDE_PROJECT_DIR", str(root))
        if not word or "$" in word or word.startswith("-"):
            continue
        path = (root / word).resolve()
        if path.is_relative_to(root) and path.is_file():
            found[path.relative_to(root).as_posix()] = file_digest(path)
    return tuple(sorted(found.items()))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content ("" when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def matcher_matches(matcher: str, subject: str) -> bool:
    """Claude Code's matcher: empty or `*` takes all; names (letters, digits, `_`, `-`, space) split at
    `|` or `,` match exactly; anything else is an unanchored regular expression."""
    matcher = matcher.strip()
    if matcher in ("", "*"):
        return True
    if _EXACT.fullmatch(matcher):
        return subject in {n.strip() for n in re.split(r"[|,]", matcher) if n.strip()}
    try:
        return re.search(matcher, subject) is not None
    except re.error:
        return False


def parse_hooks(
    value: object, source: Path, scope: HookScope, *, in_agent: bool = False
) -> tuple[list[HookCommand], list[str]]:
    """The command hooks of one `hooks` object and a problem line for each part that cannot be used."""
    if value is None:
        return [], []
    if not isinstance(value, Mapping):
        return [], ["`hooks` must be an object of events, each a list of matcher groups"]
    out: list[HookCommand] = []
    problems: list[str] = []
    for event, groups in value.items():
        name = "SubagentStop" if in_agent and event == "Stop" else str(event)
        if not isinstance(groups, list):
            problems.append(f"hooks.{event} must be a list of matcher groups")
            continue
        if name not in FIRED_EVENTS:
            problems.append(f"hooks.{event}: shopfloor does not fire this event, so these hooks never run")
        for group in groups:
            found, trouble = _group(name, group, source, scope)
            out += found
            problems += [f"hooks.{event}: {t}" for t in trouble]
    return out, problems


def _group(event: str, group: object, source: Path, scope: HookScope) -> tuple[list[HookCommand], list[str]]:
    if not isinstance(group, Mapping):
        return [], ["a matcher group must be an object with `matcher` and `hooks`"]
    matcher = group.get("matcher") or ""
    handlers = group.get("hooks")
    if not isinstance(matcher, str) or not isinstance(handlers, list):
        return [], ["a matcher group needs a text `matcher` (or none) and a list `hooks`"]
    out: list[HookCommand] = []
    problems: list[str] = []
    for handler in handlers:
        if not isinstance(handler, Mapping):
            problems.append("a hook must be an object with `type` and `command`")
            continue
        kind = handler.get("type", "command")
        if kind != "command":
            problems.append(f"`{kind}` hooks are not run by shopfloor (only `command` hooks are)")
            continue
        command = handler.get("command")
        if not isinstance(command, str) or not command.strip():
            problems.append("a command hook needs a `command`")
            continue
        condition = handler.get("if")
        out.append(
            HookCommand(
                event=event,
                matcher=matcher,
                command=command,
                timeout_s=_timeout(handler.get("timeout")),
                source=source,
                scope=scope,
                condition=condition if isinstance(condition, str) and condition.strip() else None,
            )
        )
    return out, problems


def _timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DEFAULT_TIMEOUT_S
    return float(value)


def unique(hooks: Iterable[HookCommand]) -> list[HookCommand]:
    """One of each command line per event and matcher (Claude Code runs identical hooks once)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for hook in hooks:
        key = (hook.event, hook.matcher, hook.command)
        if key not in seen:
            seen.add(key)
            out.append(hook)
    return out
