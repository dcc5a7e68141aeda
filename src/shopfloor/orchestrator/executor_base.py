"""What the local and the Ray executor share: the run they serve, how they find an earlier run's merge of a
task's work, and what an agent handed a merge conflict is told to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shopfloor.orchestrator.events import RunEvent
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.merge_queue import is_ancestor
from shopfloor.vcs import git, rev_parse

RESOLVE_CONFLICTS = (
    "so it keeps both sides' intent and no conflict marker (<<<<<<<, =======, >>>>>>>) is left, then run "
    "the checks. Do not run git commands that change the repository (git add, commit, merge): git metadata "
    "is read-only for you, and shopfloor commits the merge once no conflict markers remain."
)
"""How an agent resolves a merge shopfloor started (it cannot stage files), after "Edit each …"."""


class ExecutorBase:
    """The run an executor serves: the user's repository, its integration branch, the launcher that
    prepares agents, and where run events go."""

    def __init__(
        self, project: Path, integration: str, launcher: AgentLauncher, emit: Callable[[RunEvent], None]
    ) -> None:
        self.project = project
        self.integration = integration
        self.launcher = launcher
        self.emit = emit

    def merged_at(self, tip: str) -> str | None:
        """The integration branch's merge commit that took in `tip` (its tip, where no merge did), or None
        while `tip` is not in it: how an executor tells verified work an earlier run merged."""
        if not is_ancestor(self.project, tip, self.integration):
            return None
        found = git(
            self.project, "rev-list", "--merges", "--ancestry-path", "--reverse", f"{tip}..{self.integration}"
        ).stdout.split()
        return found[0] if found else rev_parse(self.project, self.integration)
