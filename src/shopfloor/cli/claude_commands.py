"""`shopfloor hooks list|approve` and `shopfloor mcp list`: what a project's Claude Code settings make
this machine run, and the user's yes to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from shopfloor.cli.options import DirOpt, JsonOpt

hooks_app = typer.Typer(help="A project's Claude Code hooks (and MCP servers): review and approve.")
mcp_app = typer.Typer(help="MCP servers from .mcp.json, settings files and agent files.")


def _project(workdir: Path) -> Path:
    if not workdir.is_dir():
        typer.echo(f"shopfloor: {workdir} is not a directory; pass a project directory with --dir", err=True)
        raise typer.Exit(2)
    return workdir.resolve()


@hooks_app.command("list")
def hooks_list(workdir: DirOpt = Path(), as_json: JsonOpt = False) -> None:
    """The hooks and MCP servers this project would run, and whether you approved them."""
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.approvals import approval_state, host_commands
    from shopfloor.specs.claude_settings import load_claude_settings

    project = _project(workdir)
    claude = load_claude_settings(project)
    agents = discover_agents(project)
    state = approval_state(claude, agents)
    carried = host_commands(claude, agents)
    if as_json:
        data: dict[str, Any] = {
            "approved": state.ok,
            "changed": state.changed,
            "digest": state.digest,
            **carried,
            "user_hooks": [
                {"file": str(h.source), **h.identity()} for h in claude.hooks if h.scope == "user"
            ],
            "problems": [str(p) for p in claude.problems],
            "ignored_keys": claude.ignored_keys,
        }
        typer.echo(json.dumps(data, indent=2))
        raise typer.Exit(0)
    lines = []
    for hook in carried["hooks"]:
        matcher = f" [{hook['matcher']}]" if hook["matcher"] else ""
        lines.append(f"  {hook['event']}{matcher}: {hook['command']}  ({hook['file']})")
        lines += [f"    runs {path} (its content is part of the approval)" for path in hook["scripts"]]
    for server in carried["mcpServers"]:
        what = " ".join([server["command"], *server["args"]]) or server["url"]
        lines.append(f"  MCP server {server['name']} ({server['transport']}): {what}  ({server['file']})")
    if not lines:
        typer.echo("This project carries no hooks and no MCP servers; nothing needs approving.")
    else:
        status = (
            "approved" if state.approved else ("CHANGED since approved" if state.changed else "NOT approved")
        )
        typer.echo(f"Commands this project runs on this machine ({status}):")
        typer.echo("\n".join(lines))
        if not state.approved:
            typer.echo("Approve them with `shopfloor hooks approve` once you have read them.")
    user = [h for h in claude.hooks if h.scope == "user"]
    if user:
        typer.echo(f"Your own hooks (~/.claude/settings.json, no approval needed): {len(user)}")
    for problem in claude.problems:
        typer.echo(f"warning: {problem}")
    for path, keys in claude.ignored_keys.items():
        typer.echo(f"{path}: read, with no effect in shopfloor: {', '.join(keys)}")
    raise typer.Exit(0)


@hooks_app.command("approve")
def hooks_approve(workdir: DirOpt = Path()) -> None:
    """Approve the project's hooks and MCP servers as they are now (a change needs approving again)."""
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.approvals import host_commands, record_approval
    from shopfloor.specs.claude_settings import load_claude_settings

    project = _project(workdir)
    claude = load_claude_settings(project)
    agents = discover_agents(project)
    carried = host_commands(claude, agents)
    if not carried["hooks"] and not carried["mcpServers"]:
        typer.echo("This project carries no hooks and no MCP servers; nothing to approve.")
        raise typer.Exit(0)
    path = record_approval(claude, agents)
    typer.echo(
        f"Approved {len(carried['hooks'])} hook(s) and {len(carried['mcpServers'])} MCP server(s) of "
        f"{project} (recorded in {path}); any change to them needs approving again."
    )
    raise typer.Exit(0)


@mcp_app.command("list")
def mcp_list(workdir: DirOpt = Path(), as_json: JsonOpt = False) -> None:
    """Each MCP server: where it is defined, whether it starts, and its tools (starts each once)."""
    import anyio

    from shopfloor.agent.setup import open_mcp
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.approvals import approval_state
    from shopfloor.specs.claude_settings import load_claude_settings

    project = _project(workdir)
    claude = load_claude_settings(project)
    state = approval_state(claude, discover_agents(project))
    pool = open_mcp(project)
    if not pool.connections:
        typer.echo("No MCP servers are configured (.mcp.json, `mcpServers` in .claude/settings*.json).")
        raise typer.Exit(0)
    if state.ok:
        anyio.run(_probe, pool)
    rows = []
    for key, conn in pool.connections.items():
        c = conn.config
        project_owned = c.scope in ("project", "local", "agent")
        status = conn.state if state.ok or not project_owned else "not approved (`shopfloor hooks approve`)"
        if status == "stopped":
            status = "connected"
        rows.append(
            {
                "name": key,
                "scope": c.scope,
                "transport": c.transport,
                "target": c.target,
                "source": str(c.source),
                "status": status,
                "error": conn.error,
                "tools": [t.full_name for t in conn.tools],
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        raise typer.Exit(0)
    for row in rows:
        typer.echo(f"{row['name']} ({row['scope']}, {row['transport']}): {row['status']}")
        typer.echo(f"  {row['target']}  ({row['source']})")
        if row["error"]:
            typer.echo(f"  error: {row['error']}")
        for tool in row["tools"]:
            typer.echo(f"  - {tool}")
    raise typer.Exit(0)


async def _probe(pool: Any) -> None:
    async with pool:
        pass
