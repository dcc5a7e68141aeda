"""The run's integration branch and the user's own: where verified work waits, and how it reaches them.

A run merges verified tasks into `shopfloor/integration/<branch>`, never into the branch the user has
checked out, so nothing in the user's checkout changes while agents work: no file rewritten under an open
editor, no merge refused because of an uncommitted edit. When the run ends, `deliver` brings the user's
branch up to the integration branch once: a fast-forward of the checkout that keeps every uncommitted
change, or, when an uncommitted change is in a file the run's work also changed, nothing at all and one
line saying which files to commit or stash before `shopfloor resume`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shopfloor.orchestrator.merge_queue import Conflicted, is_ancestor, merge_commit, move_branch
from shopfloor.vcs import checkouts, git, git_path, ref_exists, rev_parse

INTEGRATION_PREFIX = "shopfloor/integration/"
_IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase",
}
_TRIES = 5


class IntegrationError(RuntimeError):
    """The integration branch cannot be set up; the message names the cause and the next command."""


@dataclass(frozen=True)
class Delivered:
    branch: str
    commit: str
    changed: bool
    """False when the branch already held everything."""


@dataclass(frozen=True)
class Undelivered:
    """The verified work stays on the integration branch; `reason` says what to do, then resume."""

    branch: str
    integration: str
    files: list[str]
    reason: str


Delivery = Delivered | Undelivered


def integration_branch(branch: str) -> str:
    return f"{INTEGRATION_PREFIX}{branch}"


def start_integration(project: Path, branch: str) -> str:
    """The integration branch for `branch`, made or caught up with it; it keeps undelivered work."""
    name = integration_branch(branch)
    head = rev_parse(project, f"refs/heads/{branch}")
    if not ref_exists(project, f"refs/heads/{name}"):
        git(project, "update-ref", f"refs/heads/{name}", head, "")
        return name
    for _ in range(_TRIES):
        ours = rev_parse(project, f"refs/heads/{name}")
        if is_ancestor(project, head, ours):
            return name  # everything of `branch` is in it, perhaps with work not delivered yet
        if is_ancestor(project, ours, head):
            new = head
        else:  # the user committed on `branch` while earlier work waited here: take both
            made = merge_commit(project, ours, head, f"Merge {branch} into {name}")
            if isinstance(made, Conflicted):
                raise IntegrationError(
                    f"{name} holds verified work not yet in {branch}, and your commits on {branch} conflict "
                    f"with it in {', '.join(made.files)}; merge it yourself (`git merge {name}`), or drop "
                    f"it (`git branch -D {name}`), then run shopfloor again"
                )
            new = made
        if move_branch(project, name, new, ours):
            return name
    raise IntegrationError(f"{name} kept moving; run shopfloor again")


def deliver(project: Path, branch: str, integration: str) -> Delivery:
    """Bring `branch` (and its checkout, if it has one) up to `integration`, keeping uncommitted work."""
    for _ in range(_TRIES):
        target, head = (
            rev_parse(project, f"refs/heads/{integration}"),
            rev_parse(project, f"refs/heads/{branch}"),
        )
        if is_ancestor(project, target, head):
            return Delivered(branch, head, changed=False)
        if not is_ancestor(project, head, target):  # the user committed on `branch` during the run
            made = merge_commit(project, head, target, f"Merge {integration} into {branch}")
            if isinstance(made, Conflicted):
                return Undelivered(
                    branch,
                    integration,
                    made.files,
                    f"your commits on {branch} conflict with the run's work in {', '.join(made.files)}: "
                    f"run `git merge {integration}`, resolve and commit, then `shopfloor resume`",
                )
            if not move_branch(project, integration, made, target):
                continue
            target = made
        holder = checkouts(project).get(branch)
        if holder is None:  # not checked out anywhere: moving the ref is all there is to do
            if move_branch(project, branch, target, head):
                return Delivered(branch, target, changed=True)
            continue
        return _fast_forward(holder, branch, integration, head, target)
    return Undelivered(branch, integration, [], f"{branch} kept moving; `shopfloor resume` tries again")


def _fast_forward(checkout: Path, branch: str, integration: str, head: str, target: str) -> Delivery:
    for marker, what in _IN_PROGRESS.items():
        if git_path(checkout, marker).exists():
            return Undelivered(
                branch,
                integration,
                [],
                f"{checkout} has {what} in progress; finish or abort it, then `shopfloor resume`",
            )
    taken = git(checkout, "merge", "--ff-only", "--no-verify", "-q", target, check=False)
    if taken.ok:
        return Delivered(branch, target, changed=True)
    changed = set(git(checkout, "diff", "--name-only", "--no-renames", head, target).stdout.splitlines())
    edited, untracked = _local_changes(checkout)
    blocking = sorted(changed & edited)
    new_files = sorted(changed & untracked)
    steps = []
    if blocking:
        steps.append(f"commit or stash your changes to {', '.join(blocking)}")
    if new_files:
        steps.append(f"move or commit your untracked {', '.join(new_files)}")
    if not steps:
        steps.append(
            f"git refused to update your checkout ({taken.output.splitlines()[0] if taken.output else '?'})"
        )
    return Undelivered(
        branch,
        integration,
        blocking + new_files,
        f"the verified work is on {integration} but not yet in your checkout: "
        f"{' and '.join(steps)}, then `shopfloor resume`",
    )


def _local_changes(checkout: Path) -> tuple[set[str], set[str]]:
    """Paths with uncommitted changes (staged or not), and untracked paths, in the checkout."""
    out = git(checkout, "status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
    edited: set[str] = set()
    untracked: set[str] = set()
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code == "??":
            untracked.add(path)
            continue
        edited.add(path)
        if code[0] in "RC":
            edited.add(next(entries, ""))  # the rename's source path follows
    return edited, untracked
