"""The built-in tools, and the per-agent context they share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.base import Tool
from shopfloor.tools.context import SkillSource, ToolContext
from shopfloor.tools.toolset import Toolset


def builtin_tools() -> list[Tool[Any]]:
    """Every tool shopfloor provides, in the order models see them."""
    from shopfloor.tools.bash import BashOutputTool, BashTool, KillBashTool
    from shopfloor.tools.edit import EditTool, MultiEditTool
    from shopfloor.tools.glob import GlobTool
    from shopfloor.tools.grep import GrepTool
    from shopfloor.tools.read import ReadTool
    from shopfloor.tools.skill import SkillTool
    from shopfloor.tools.write import WriteTool

    return [
        ReadTool(),
        WriteTool(),
        EditTool(),
        MultiEditTool(),
        GlobTool(),
        GrepTool(),
        BashTool(),
        BashOutputTool(),
        KillBashTool(),
        SkillTool(),
    ]


def builtin_toolset() -> Toolset:
    return Toolset(builtin_tools())


def agent_toolset(allowed: list[str] | None, denied: list[str], *, has_skills: bool) -> Toolset:
    """The tools one agent gets: exactly its `tools:` list (None = all), less `disallowedTools`.

    A list is taken literally (a file naming six tools is offered six), so its author stays in control.
    With no list, Skill is offered only when some skill exists.
    """
    deny = list(denied) + ([] if has_skills or allowed is not None else ["Skill"])
    return builtin_toolset().filtered(allowed, deny)


def make_context(
    root: Path,
    *,
    skills: SkillSource | None = None,
    extra_dirs: tuple[Path, ...] = (),
    sandbox: SandboxSettings | None = None,
    writable: Sequence[Path] | None = None,
) -> ToolContext:
    """The tools' shared state for one agent in `root`; `writable` narrows what it may change."""
    from shopfloor.tools.shell import ShellSession
    from shopfloor.tools.workspace import ReadState, Workspace

    ws = Workspace(root, extra_dirs, writable)
    shell = ShellSession(ws, sandbox)
    return ToolContext(workspace=ws, read_state=ReadState(), shell=shell, skills=skills)
