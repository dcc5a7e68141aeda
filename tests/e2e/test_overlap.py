"""What the run does beside a gate (the merge and the next task's worktree, built ahead) never shows in
what it merges: a dependent starts from the work as verified, merges keep their order, and a worktree
made for a task that never starts does not stay."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_orchestrator_faults import (
    MARKER,
    chain,
    git,
    make_project,
    scripts,
    shopfloor,
    tool,
    write_turns,
)

# The check passes only once a.py says 2: TASK-001's first version fails its gate.
CHECK = '[gate]\ncommands = ["python3 -c \\"import a; assert a.A == 2\\""]\n'


def test_a_dependent_starts_from_the_verified_work_not_the_first_try(tmp_path: Path) -> None:
    project = make_project(tmp_path, chain("TASK-001", "TASK-002"))
    (project / "shopfloor.toml").write_text(CHECK)
    git(project, "commit", "-qam", "the check")
    first_try = write_turns("a.py", "A = 1\n")
    fixed = [
        tool("Write", file_path="{workdir}/a.py", content="A = 2\n"),
        tool("Write", file_path=MARKER, content="done"),
        "Fixed.",
    ]
    d = scripts(tmp_path, {"TASK-001": first_try + fixed, "TASK-002": write_turns("b.py", "B = 2\n")})
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # TASK-002's worktree was made while TASK-001's first gate ran, on the merge that gate would have
    # allowed (a.py = 1); it started from what was really merged.
    assert git(project, "show", "shopfloor/TASK-002:a.py") == "A = 2\n"
    assert git(project, "show", "main:a.py") == "A = 2\n" and git(project, "show", "main:b.py") == "B = 2\n"
    merges = git(project, "log", "--first-parent", "--format=%s", "main").splitlines()
    assert [m.split(":")[0] for m in merges if m.startswith("Merge")] == ["Merge TASK-002", "Merge TASK-001"]
    # Each verdict is bound to the tree that was merged (the gate judged the tree its commit saved).
    for tid in ("TASK-001", "TASK-002"):
        verdict = json.loads((project / ".orchestrator" / "verdicts" / f"{tid}.json").read_text())
        assert verdict["tree_hash"] == git(project, "rev-parse", f"shopfloor/{tid}^{{tree}}").strip()
    # The merge built for the first try never lands anywhere, not even through TASK-002's branch.
    assert git(project, "log", "--format=%s", "main").count("Merge TASK-001:") == 1


def test_a_worktree_made_for_a_task_that_never_starts_is_removed_with_its_branch(tmp_path: Path) -> None:
    project = make_project(tmp_path, chain("TASK-001", "TASK-002"))
    (project / "shopfloor.toml").write_text(CHECK + "[run]\ngate_rounds = 1\n")
    git(project, "commit", "-qam", "the check")
    d = scripts(
        tmp_path, {"TASK-001": write_turns("a.py", "A = 1\n"), "TASK-002": write_turns("b.py", "B\n")}
    )
    proc = shopfloor("run", "--model", f"scripted:{d}", "--attempts", "1", cwd=project)
    assert proc.returncode == 1
    assert (project / ".orchestrator" / "worktrees" / "TASK-001").is_dir()  # failed: kept
    assert not (project / ".orchestrator" / "worktrees" / "TASK-002").exists()
    assert git(project, "branch", "--list", "shopfloor/TASK-002") == ""
