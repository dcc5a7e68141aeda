"""The user's approval of a project's hooks and MCP servers, recorded by content hash.

Approvals live in the user's configuration folder (`$XDG_CONFIG_HOME/shopfloor`, else
`~/.config/shopfloor`), never in the project, so a repository cannot approve itself. Any change to
what the project would run (a hook's command or a script of the project it names, an MCP server's
command line) changes the hash and needs approving again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopfloor.specs.agent_catalog import AgentCatalog
from shopfloor.specs.claude_settings import ClaudeSettings

__all__ = [
    "ApprovalState",
    "approval_state",
    "approvals_file",
    "approved_here",
    "host_commands",
    "record_approval",
    "unapproved_message",
]


def host_commands(settings: ClaudeSettings, agents: AgentCatalog | None = None) -> dict[str, list[Any]]:
    """What the project makes this machine run or reach: the hooks and MCP servers of its settings
    files, `.mcp.json` and its own agent files, each with the file it is in."""
    hooks = list(settings.project_hooks)
    servers = list(settings.project_servers)
    for spec in agents.all() if agents is not None else []:
        if spec.origin == "project":
            hooks += spec.hooks
            servers += spec.mcp_servers
    if settings.hooks_disabled:
        hooks = []
    hooks = [h.with_scripts(settings.project) for h in hooks]
    return {
        "hooks": _sorted([{"file": settings.relative(h.source), **h.identity()} for h in hooks]),
        "mcpServers": _sorted([{"file": settings.relative(s.source), **s.identity()} for s in servers]),
    }


def digest(settings: ClaudeSettings, agents: AgentCatalog | None = None) -> str:
    """A content hash of `host_commands`: an approval is for exactly this set."""
    text = json.dumps(host_commands(settings, agents), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _sorted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda d: json.dumps(d, sort_keys=True))


def approvals_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "shopfloor" / "approved-hooks.json"


@dataclass(frozen=True)
class ApprovalState:
    needed: bool
    """The project carries hooks or MCP servers."""
    approved: bool
    changed: bool
    """Approved once, for a set that has changed since."""
    digest: str

    @property
    def ok(self) -> bool:
        return not self.needed or self.approved


def approval_state(
    settings: ClaudeSettings, agents: AgentCatalog | None = None, carried: str | None = None
) -> ApprovalState:
    """Whether the project's set is approved on this machine, or is exactly the set approved where the
    run started (`carried`: that set's digest, which a Ray worker's clone of the project comes with)."""
    commands = host_commands(settings, agents)
    needed = bool(commands["hooks"] or commands["mcpServers"])
    current = digest(settings, agents)
    if carried is not None and carried == current:
        return ApprovalState(needed=needed, approved=True, changed=False, digest=current)
    recorded = _load().get(str(settings.project), {}).get("digest")
    return ApprovalState(
        needed=needed, approved=recorded == current, changed=recorded not in (None, current), digest=current
    )


def approved_here(settings: ClaudeSettings, agents: AgentCatalog | None = None) -> str | None:
    """The digest of the project's set when this machine approved it (for machines that run its agents
    on a clone), None when it has none or it is not approved."""
    state = approval_state(settings, agents)
    return state.digest if state.needed and state.approved else None


def record_approval(settings: ClaudeSettings, agents: AgentCatalog | None = None) -> Path:
    """Approve the project's current set; returns the file the approval went to."""
    path = approvals_file()
    data = _load()
    data[str(settings.project)] = {"digest": digest(settings, agents), "approved_at": time.time()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def unapproved_message(
    settings: ClaudeSettings, state: ApprovalState, agents: AgentCatalog | None = None
) -> str:
    """One line: what is unapproved and the command that approves it."""
    commands = host_commands(settings, agents)
    parts = []
    if commands["hooks"]:
        parts.append(f"{len(commands['hooks'])} hook{'s' if len(commands['hooks']) != 1 else ''}")
    if commands["mcpServers"]:
        n = len(commands["mcpServers"])
        parts.append(f"{n} MCP server{'s' if n != 1 else ''}")
    what = " and ".join(parts) or "hooks"
    how = "changed since you approved them" if state.changed else "not approved yet"
    return (
        f"this project's {what} (in .claude/ or .mcp.json) run commands on this machine and are {how}; "
        f"review them with `shopfloor hooks list`, then run `shopfloor hooks approve`"
    )


def _load() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(approvals_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
