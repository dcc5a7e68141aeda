"""The built-in tools, and the per-agent context they share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shopfloor.config.sections import SandboxSettings, ToolSettings
from shopfloor.tools.base import Tool
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.context import SkillSource, ToolContext
from shopfloor.tools.policy import ToolPolicy
from shopfloor.tools.toolset import Toolset

DELEGATION_TOOLS = ("Agent", "Task")


def builtin_tools() -> list[Tool[Any]]:
    """Every tool shopfloor provides, in the order models see them."""
    from shopfloor.tools.bash import BashOutputTool, BashTool, KillBashTool
    from shopfloor.tools.delegate import AgentTool, TaskTool
    from shopfloor.tools.edit import EditTool, MultiEditTool
    from shopfloor.tools.glob import GlobTool
    from shopfloor.tools.grep import GrepTool
    from shopfloor.tools.ls import LSTool
    from shopfloor.tools.notebook import NotebookEditTool
    from shopfloor.tools.read import ReadTool
    from shopfloor.tools.skill import SkillTool
    from shopfloor.tools.todo import TodoWriteTool
    from shopfloor.tools.web_fetch import WebFetchTool
    from shopfloor.tools.web_search import WebSearchTool
    from shopfloor.tools.write import WriteTool

    return [
        ReadTool(),
        WriteTool(),
        EditTool(),
        MultiEditTool(),
        GlobTool(),
        GrepTool(),
        LSTool(),
        BashTool(),
        BashOutputTool(),
        KillBashTool(),
        NotebookEditTool(),
        TodoWriteTool(),
        WebFetchTool(),
        WebSearchTool(),
        AgentTool(),
        TaskTool(),
        SkillTool(),
    ]


def builtin_toolset() -> Toolset:
    return Toolset(builtin_tools())


def agent_toolset(
    allowed: list[str] | None,
    denied: list[str],
    *,
    has_skills: bool,
    roster: str | None = None,
) -> Toolset:
    """The tools one agent gets: exactly its `tools:` list (None = all), less `disallowedTools`.

    A list is taken literally (a file naming six tools is offered six), so its author stays in control.
    With no list, Skill is offered only when some skill exists. The delegation tool is offered under
    the name the file uses (`Task` or `Agent`; `Agent` when all tools are allowed), and only when
    `roster` lists the agents it may start; None means delegation is not possible here.
    """
    from shopfloor.tools.delegate import AgentTool, TaskTool

    deny = list(denied) + ([] if has_skills or allowed is not None else ["Skill"])
    if allowed is None or "Agent" in allowed:
        deny.append("Task")  # one delegation tool is enough
    if roster is None:
        deny += list(DELEGATION_TOOLS)
    toolset = builtin_toolset().filtered(allowed, deny)
    if roster is not None:
        toolset = toolset.replaced(AgentTool(roster)).replaced(TaskTool(roster))
    return toolset


def make_context(
    root: Path,
    *,
    skills: SkillSource | None = None,
    extra_dirs: tuple[Path, ...] = (),
    sandbox: SandboxSettings | None = None,
    writable: Sequence[Path] | None = None,
    settings: ToolSettings | None = None,
    policy: ToolPolicy | None = None,
    overlay: EnvOverlay | None = None,
) -> ToolContext:
    """The tools' shared state for one agent in `root`; `writable` narrows what it may change, `overlay`
    is the project environment its shell runs with."""
    from shopfloor.tools.shell import ShellSession
    from shopfloor.tools.web_page import PageCache
    from shopfloor.tools.workspace import ReadState, Workspace

    settings = settings or ToolSettings()
    ws = Workspace(root, extra_dirs, writable)
    shell = ShellSession(ws, sandbox, overlay=overlay)
    return ToolContext(
        workspace=ws,
        read_state=ReadState(),
        shell=shell,
        skills=skills,
        settings=settings,
        policy=policy,
        pages=PageCache(settings.fetch_cache_s),
    )
