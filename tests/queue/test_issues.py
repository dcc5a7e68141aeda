"""Issue queue: round-trips, safe appends from several processes, status updates in place."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from shopfloor.queue.issues import (
    NewIssue,
    append_issues,
    load_issue_queue,
    parse_issue_queue,
    update_issues,
    validate_issues,
)

ISSUES = textwrap.dedent(
    """\
    # Issue Queue

    Found by the research agent on 2026-11-01.

    ### ISSUE-001: Login has no rate limit
    | Field    | Value     |
    |----------|-----------|
    | Status   | pending   |
    | Category | backend   |
    | Priority | high      |
    | Found by | research  |

    **Description:** Repeated failed logins
    are never slowed down.

    **Evidence:** src/auth.py:40

    ### ISSUE-002
    | Field | Value |
    |-------|-------|
    | Status | completed |
    | Priority | lowest |
    """
)


def test_round_trip_and_fields() -> None:
    queue = parse_issue_queue(ISSUES, "issue_queue.md")
    assert queue.render() == ISSUES
    issue = queue.get("ISSUE-001")
    assert (issue.title, issue.status, issue.priority) == ("Login has no rate limit", "pending", "high")
    assert issue.description == "Repeated failed logins\nare never slowed down."
    assert issue.extra_fields == {"Found by": "research"}
    assert issue.extra_sections == {"Evidence": "src/auth.py:40"}
    assert [str(p) for p in validate_issues(queue)] == [
        "issue_queue.md:22: ISSUE-002: unknown priority 'lowest' (expected one of critical, high, medium, "
        "low); did you mean 'low'?"
    ]


def test_update_changes_only_the_cells(tmp_path: Path) -> None:
    path = tmp_path / "issue_queue.md"
    path.write_text(ISSUES)
    update_issues(path, {"ISSUE-001": "completed"}, tasks={"ISSUE-001": "TASK-031"})
    text = path.read_text()
    assert text == ISSUES.replace("| Status   | pending   |", "| Status   | completed |").replace(
        "| Found by | research  |", "| Found by | research  |\n| Task | TASK-031 |"
    )
    assert load_issue_queue(path).get("ISSUE-001").task == "TASK-031"


def test_append_to_missing_file_then_existing(tmp_path: Path) -> None:
    path = tmp_path / ".orchestrator" / "issue_queue.md"
    added = append_issues(path, [NewIssue(title="No input limits", description="Bodies are unbounded.")])
    assert [i.id for i in added] == ["ISSUE-001"]
    more = append_issues(
        path, [NewIssue(title="Slow query", description="N+1 in /orders.", priority="critical")] * 2
    )
    assert [i.id for i in more] == ["ISSUE-002", "ISSUE-003"]
    queue = load_issue_queue(path)
    assert [i.title for i in queue.pending()] == ["No input limits", "Slow query", "Slow query"]
    assert queue.get("ISSUE-002").priority == "critical"
    assert validate_issues(queue) == []


APPENDER = """
import sys
from pathlib import Path
from shopfloor.queue.issues import NewIssue, append_issues
path, tag = Path(sys.argv[1]), sys.argv[2]
for n in range(15):
    append_issues(path, [NewIssue(title=f"{tag} {n}", description="from a child process")])
"""


def test_appends_from_concurrent_processes_all_land_with_unique_ids(tmp_path: Path) -> None:
    path = tmp_path / "issue_queue.md"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), tag]) for tag in ("left", "right")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    queue = load_issue_queue(path)
    assert len(queue.issues) == 30
    assert len(set(queue.ids)) == 30
    assert sorted(i.title for i in queue.issues) == sorted(
        f"{tag} {n}" for tag in ("left", "right") for n in range(15)
    )
