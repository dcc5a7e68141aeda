"""Queue and issue files in every layout the seed orchestrator documents, read as shopfloor reads them.

Each field goes where it belongs: the dependency graph, the agent's prompt, the gate's checks, the order
ready tasks start in; edits touch only the lines they change. The files are in `seed_layouts/`.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from shopfloor.agent.prompts import task_prompt
from shopfloor.config.sections import GateSettings
from shopfloor.gate.detect import detect_checks
from shopfloor.orchestrator.briefs import agent_task, gate_task
from shopfloor.orchestrator.improve import task_from_issue
from shopfloor.orchestrator.tdd import is_test_first
from shopfloor.queue.commands import Commands
from shopfloor.queue.dag import graph_of, waves
from shopfloor.queue.issues import (
    NewIssue,
    append_issues,
    load_issue_queue,
    parse_issue_queue,
    update_issues,
    validate_issues,
)
from shopfloor.queue.tasks import TaskQueue, load_task_queue, parse_task_queue, update_task_statuses, validate

LAYOUTS = Path(__file__).parent / "seed_layouts"
QUEUES = sorted(LAYOUTS.glob("queue_*.md"))
ISSUES = sorted(LAYOUTS.glob("issues_*.md"))


def queue(name: str) -> TaskQueue:
    return load_task_queue(LAYOUTS / name)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new), after
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def prompt(queue: TaskQueue, task_id: str, workdir: Path) -> str:
    return task_prompt(agent_task(queue.get(task_id), workdir))


@pytest.mark.parametrize("path", QUEUES, ids=lambda p: p.stem)
def test_every_queue_layout_is_valid_and_a_status_edit_changes_one_line(path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    read = load_task_queue(path)
    assert validate(read) == [] and read.tasks
    assert read.render() == text
    copy = tmp_path / "task_queue.md"
    shutil.copy(path, copy)
    update_task_statuses(copy, {read.tasks[0].id: "in_progress"})
    ((old, new),) = changed_lines(text, copy.read_text())
    assert old.replace("pending", "in_progress") == new


@pytest.mark.parametrize("path", ISSUES, ids=lambda p: p.stem)
def test_every_issue_layout_is_valid_and_a_status_edit_changes_one_line(path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    read = load_issue_queue(path)
    assert validate_issues(read) == [] and read.issues
    assert read.render() == text
    assert all(re.fullmatch(r"ISSUE-\d{8}-\d{3}", i.id) and i.title for i in read.issues)
    copy = tmp_path / "issue_queue.md"
    shutil.copy(path, copy)
    first = read.issues[0]
    update_issues(copy, {first.id: "in_progress"})
    ((old, new),) = changed_lines(text, copy.read_text())
    assert old.replace(first.status, "in_progress") == new


def test_exact_layout_commands_notes_and_test_code_reach_the_agent_and_the_gate(tmp_path: Path) -> None:
    q = queue("queue_exact.md")
    assert q.project_commands == Commands(build="python -m compileall -q lending", test="pytest -q")
    own, inherits, last = q.get("TASK-001"), q.get("TASK-002"), q.get("TASK-99999")
    assert own.check_commands() == [
        ("build", "python -m compileall -q lending", "task"),
        ("test", "pytest -q tests/test_loans.py", "task"),
    ]
    assert inherits.check_commands() == [
        ("build", "python -m compileall -q lending", "project"),
        ("test", "pytest -q", "project"),
    ]
    assert inherits.dependencies == ["TASK-001"]
    assert last.dependencies == ["TASK-001", "TASK-002"]  # "[ALL other TASK IDs]"

    text = prompt(q, "TASK-001", tmp_path)
    assert text.startswith(f"WORKING_DIR: {tmp_path}\nTASK_ID: TASK-001\n\nOBJECTIVE: Add the loan endpoints")
    for line in (
        "- Source Issue: ISSUE-20260110-002",
        "- Test File: tests/test_loans.py",
        "- Test Command: pytest -q tests/test_loans.py",
        "NOTES:\nLoans live in the existing SQLite database",
        "TEST CODE:\n```python\n",
        "def test_borrow_returns_the_new_loan():\n",
        "# **Setup:** a tool and a borrower exist\n# ---\n",
    ):
        assert line in text, line
    assert "- Test Command: pytest -q (the project's)" in prompt(q, "TASK-002", tmp_path)

    settings = GateSettings(commands=["python3 -c 'print(1)'"], python="/opt/py/bin/python")
    checks = detect_checks(tmp_path, task=gate_task(inherits), settings=settings)
    assert [(c.source, c.kind, c.name) for c in checks] == [
        ("config", "custom", "python3 -c 'print(1)'"),
        ("task", "build", "build command (project)"),
        ("task", "test", "test command (project)"),
    ]
    assert checks[1].command.endswith("python -m compileall -q lending".removeprefix("python"))
    assert checks[2].command == "/opt/py/bin/python -m pytest -q"
    assert (
        detect_checks(
            tmp_path, task=gate_task(inherits), settings=settings.model_copy(update={"task_commands": False})
        )
        == checks[:1]
    )


def test_two_section_layout_depends_on_rows_description_steps_and_assumed_complexity(tmp_path: Path) -> None:
    q = queue("queue_two_section.md")
    tasks = {t.id: t for t in q.tasks}
    assert waves(graph_of(q.tasks)) == [["TASK-001"], ["TASK-002", "TASK-003"], ["TASK-T01"], ["TASK-V01"]]
    assert [tasks[t].priority for t in tasks] == ["high", "critical", "low", "medium", "medium"]
    assert tasks["TASK-002"].objective.startswith("A borrower can hold at most three tools")
    assert tasks["TASK-T01"].criteria == ["The fourth loan is refused with 409 and says the limit is three."]
    assert all("no Complexity: assumed normal (the default)" in t.assumed for t in q.tasks)
    assert (tasks["TASK-V01"].category, tasks["TASK-V01"].mode) == ("testing", "verify")
    assert not is_test_first(tasks["TASK-V01"], tasks)
    assert not is_test_first(tasks["TASK-T01"], tasks)  # it checks code its dependencies built
    assert "STEPS:\n1. Sign up a borrower\n2. Borrow three tools" in prompt(q, "TASK-T01", tmp_path)
    assert "- Priority: critical" in prompt(q, "TASK-002", tmp_path)


def test_a_wrong_depends_on_row_is_refused_with_file_and_line(tmp_path: Path) -> None:
    text = (
        (LAYOUTS / "queue_two_section.md")
        .read_text()
        .replace("| Depends On | TASK-T01 |", "| Depends On | TASK-T09 |")
    )
    line = text[: text.index("TASK-T09")].count("\n") + 1
    path = tmp_path / "task_queue.md"
    path.write_text(text)
    assert [str(p) for p in validate(load_task_queue(path))] == [
        f"{path}:{line}: TASK-V01: unknown dependency 'TASK-T09'; did you mean TASK-T01?"
    ]


def test_test_first_layout_modes_services_and_specifications(tmp_path: Path) -> None:
    q = queue("queue_test_first.md")
    tasks = {t.id: t for t in q.tasks}
    write = tasks["TASK-T01"]
    assert (write.mode, write.services) == ("write", ["postgres", "mailpit"])
    assert q.project_commands == Commands(build=None, test="pytest -q")  # "No build command configured"
    assert write.check_commands() == [("test", "pytest -q tests/test_reminders.py", "task")]
    assert write.extra_fields == {
        "Test IDs": "UNIT-001, UNIT-002, INT-001",
        "Integration Level": "real",
        "External Dependencies": "postgres",
        "Mock Policy": "database-seeding-only",
        "Skip If Unavailable": "none",
    }
    assert [tasks[t].mode for t in ("TASK-T02", "TASK-T03", "TASK-V01")] == ["write", "write", "verify"]
    assert {t.category for t in tasks.values()} == {"testing", "backend"}
    assert tasks["TASK-T02"].dependencies == []  # "[]"
    assert [t for t in tasks if is_test_first(tasks[t], tasks)] == ["TASK-T01", "TASK-T02", "TASK-T03"]
    assert "no acceptance criteria: the objective and the project's checks decide" in write.assumed
    text = prompt(q, "TASK-T01", tmp_path)
    for line in (
        "- Mode: write (write the tests first",
        "- Required Services: postgres, mailpit",
        "- Mock Policy: database-seeding-only",
        "TEST SPECIFICATIONS:\n- UNIT-001: a loan one day late gets one reminder",
    ):
        assert line in text, line
    assert gate_task(write, test_first=True).commands[0].command == "pytest -q tests/test_reminders.py"


def test_external_spec_layout_expands_all_build_tasks_and_keeps_tests_after_the_code() -> None:
    q = queue("queue_external_spec.md")
    tasks = {t.id: t for t in q.tasks}
    build = ["TASK-001", "TASK-002"]
    assert tasks["TASK-T30"].dependencies == build  # "ALL build tasks (TASK-001 through TASK-N)"
    assert tasks["TASK-T40"].dependencies == build  # "ALL build tasks"
    assert tasks["TASK-99999"].dependencies == [t for t in tasks if t != "TASK-99999"]
    assert tasks["TASK-001"].dependencies == []  # "[]"
    assert waves(graph_of(q.tasks)) == [
        ["TASK-001"],
        ["TASK-002", "TASK-T01"],
        ["TASK-T30", "TASK-T40", "TASK-V01"],
        ["TASK-99999"],
    ]
    assert not any(is_test_first(t, tasks) for t in tasks.values())
    assert tasks["TASK-T01"].check_commands() == [
        ("build", "pytest", "project"),
        ("test", "pytest tests/unit/test_reservations.py -v", "task"),
    ]
    # Writing a task back keeps its dependency value as the person wrote it.
    q.set_status("TASK-T30", "completed")
    assert "**Dependencies:** ALL build tasks (TASK-001 through TASK-N)" in q.render()


@pytest.mark.parametrize(
    ("value", "deps"),
    [
        ("TASK-001 through TASK-002", ["TASK-001", "TASK-002"]),
        ("TASK-T01, and TASK-001", ["TASK-T01", "TASK-001"]),
        ("[TASK-002]", ["TASK-002"]),
        ("TASK-T01 through TASK-T30", ["TASK-T01", "TASK-T30"]),
    ],
)
def test_dependency_values_are_read_the_ways_the_seed_writes_them(value: str, deps: list[str]) -> None:
    text = (LAYOUTS / "queue_external_spec.md").read_text()
    text = text.replace("**Dependencies:** ALL build tasks\n", f"**Dependencies:** {value}\n")
    q = parse_task_queue(text)
    assert validate(q) == []
    assert q.get("TASK-T40").dependencies == deps


def test_a_dependency_group_shopfloor_cannot_read_says_how_to_write_it() -> None:
    text = (LAYOUTS / "queue_external_spec.md").read_text()
    text = text.replace(
        "**Dependencies:** ALL build tasks\n", "**Dependencies:** ALL related unit test tasks\n"
    )
    line = text[: text.index("ALL related")].count("\n") + 1
    assert [str(p) for p in validate(parse_task_queue(text, "q.md"))] == [
        f"q.md:{line}: TASK-T40: cannot read dependency 'ALL related unit test tasks' (write task IDs like "
        "TASK-001, a range like 'TASK-001 through TASK-005', 'ALL build tasks', 'ALL tasks', or None)"
    ]


def test_mvp_layout_loop_ids_and_assumed_categories() -> None:
    q = queue("queue_mvp.md")
    assert q.ids == ["TASK-001-1", "TASK-001-2"]
    first, second = q.tasks
    assert (first.category, first.complexity, second.category, second.complexity) == (
        "docs",
        "easy",
        "backend",
        "complex",
    )
    assert first.assumed == ["no Category: assumed docs (its objective mentions 'README')"]
    text = (LAYOUTS / "queue_mvp.md").read_text()
    q = parse_task_queue(
        text + "### TASK-002-1\n| Status | pending |\n**Objective:** x\n**Dependencies:** TASK-001-2\n"
    )
    assert q.get("TASK-002-1").dependencies == ["TASK-001-2"]


def test_template_issues_summary_details_and_what_is_still_to_do(tmp_path: Path) -> None:
    q = load_issue_queue(LAYOUTS / "issues_template.md")
    first, _ = q.issues
    assert (first.id, first.title, first.status, first.priority) == (
        "ISSUE-20260110-001",
        "Returning a tool twice closes someone else's loan",
        "pending",
        "high",
    )
    assert first.description.startswith("When the same return request is sent twice")
    assert first.criteria == ["A second return of the same loan answers 409 and changes nothing"]
    assert first.task is None and first.extra_fields["Type"] == "bug"
    assert [i.id for i in q.pending()] == [
        "ISSUE-20260110-001",
        "ISSUE-20260110-002",
    ]  # accepted, no task yet

    path = tmp_path / "issue_queue.md"
    shutil.copy(LAYOUTS / "issues_template.md", path)
    before = path.read_text()
    update_issues(path, {first.id: "in_progress"}, tasks={first.id: "TASK-007"})
    assert changed_lines(before, path.read_text()) == [
        ("| Status | pending |", "| Status | in_progress |"),
        ("**Task Ref:** (filled by orchestrator when accepted)", "**Task Ref:** TASK-007"),
    ]
    assert [i.id for i in load_issue_queue(path).pending()] == ["ISSUE-20260110-002"]

    (added,) = append_issues(
        path,
        [NewIssue(title="Loans cannot be extended", description="Ask for more days.")],
        today=date(2026, 1, 10),
    )
    assert added.id == "ISSUE-20260110-003"
    tail = path.read_text().split("**Task Ref:** (filled by orchestrator when accepted)\n")[-1]
    assert re.fullmatch(
        r"\n### ISSUE-20260110-003\n\n\| Field \| Value \|\n\|-------\|-------\|\n"
        r"\| Status \| pending \|\n\| Source \| user \|\n\| Category \| backend \|\n"
        r"\| Priority \| medium \|\n\| Created \| 2\d{3}-[^|]+Z \|\n\n"
        r"\*\*Summary:\*\* Loans cannot be extended\n\n\*\*Details:\*\* Ask for more days\.\n",
        tail,
    ), tail
    (next_day,) = append_issues(path, [NewIssue(title="x", description="y")], today=date(2026, 1, 11))
    assert next_day.id == "ISSUE-20260111-001"
    assert validate_issues(load_issue_queue(path)) == []


def test_protocol_issues_bullet_fields_statuses_and_a_new_issue_in_a_table(tmp_path: Path) -> None:
    q = load_issue_queue(LAYOUTS / "issues_protocol.md")
    assert [(i.status, i.priority) for i in q.issues] == [
        ("pending", "medium"),
        ("wont_fix", "low"),
        ("duplicate", "high"),
    ]
    first = q.issues[0]
    assert first.title == "The catalogue page takes four seconds with 2,000 tools"
    assert first.description == "Every tool row makes its own query for the current loan."
    assert first.extra_sections["Steps to Reproduce"].endswith("2. Open the catalogue")
    assert [i.id for i in q.pending()] == [first.id]
    path = tmp_path / "issue_queue.md"
    shutil.copy(LAYOUTS / "issues_protocol.md", path)
    append_issues(
        path, [NewIssue(title="Slow search", description="Search scans every row.")], today=date(2026, 1, 11)
    )
    text = path.read_text()
    assert text.endswith(
        "---\n\n### ISSUE-20260111-004\n\n| Field | Value |\n|-------|-------|\n| Status | pending |\n"
        "| Category | backend |\n| Priority | medium |\n\n**Summary:** Slow search\n\n"
        "**Details:** Search scans every row.\n\n---\n"
    )
    assert load_issue_queue(path).get("ISSUE-20260111-004").title == "Slow search"


def test_auto_retry_issues_sub_headings_halted_and_a_new_issue_in_their_style(tmp_path: Path) -> None:
    q = load_issue_queue(LAYOUTS / "issues_auto_retry.md")
    first, halted, done = q.issues
    assert first.title == "The service does not start: the migration for loans fails"
    assert first.description.startswith("**Task:** TASK-001\n**Criteria Failed:** 1 of 3")
    assert first.extra_sections == {"Suggested Fix": "Drop the second `due_at` column from revision 0007."}
    assert (halted.status, done.status) == ("pending", "complete")
    assert [i.id for i in q.pending()] == [first.id]  # the halted one waits for a person

    task = task_from_issue(first, "TASK-010")
    assert task.objective.startswith("The service does not start: the migration for loans fails. **Task:**")
    assert (task.priority, task.complexity) == ("critical", "complex")

    path = tmp_path / "issue_queue.md"
    shutil.copy(LAYOUTS / "issues_auto_retry.md", path)
    before = path.read_text()
    update_issues(path, {}, tasks={first.id: "TASK-010"})
    assert changed_lines(before, path.read_text().replace("| Task Ref | TASK-010 |\n", "")) == []
    assert "| Blocking | true |\n| Task Ref | TASK-010 |\n\n### Summary" in path.read_text()
    append_issues(path, [NewIssue(title="Reminders ignore time zones", description="Sent at UTC 9:00.")])
    tail = path.read_text().split("Fixed by TASK-004.\n")[1]
    assert re.fullmatch(
        r"\n---\n\n## ISSUE-\d{8}-001\n\n\| Field \| Value \|\n\|-------\|-------\|\n"
        r"\| Status \| pending \|\n\| Source \| user \|\n\| Category \| backend \|\n"
        r"\| Priority \| medium \|\n\| Created \| [^|]+ \|\n\n"
        r"### Summary\nReminders ignore time zones\n\n### Description\nSent at UTC 9:00\.\n",
        tail,
    ), tail


def test_research_issue_becomes_a_task_with_its_criteria_complexity_and_sections(tmp_path: Path) -> None:
    (issue,) = load_issue_queue(LAYOUTS / "issues_research.md").issues
    task = task_from_issue(issue, "TASK-003")
    assert task.objective == (
        "Loan history is readable by any signed-in borrower. GET /borrowers/{id}/loans does not check that "
        "the caller is that borrower."
    )
    assert task.criteria == ["Another borrower's history answers 404", "Staff can still read any history"]
    assert (task.complexity, task.priority, task.extra_fields) == ("normal", "critical", {"Issue": issue.id})
    q = parse_task_queue("# Task Queue\n")
    q.add(task)
    again = parse_task_queue(q.render()).get("TASK-003")
    text = task_prompt(agent_task(again, tmp_path))
    assert "RATIONALE:\nBorrowing history is personal data." in text
    assert "FILES:\nlending/borrowers.py, tests/test_borrowers.py" in text


def test_dated_issue_ids_are_whole_ids() -> None:
    text = "### ISSUE-20260110-001: a\n**Description:** x\n\n### ISSUE-20260110-002: b\n**Description:** y\n"
    q = parse_issue_queue(text)
    assert q.ids == ["ISSUE-20260110-001", "ISSUE-20260110-002"]
    assert validate_issues(q) == []


def test_plain_dependency_lines_of_the_structure_sketch_are_read_and_edited_in_place() -> None:
    text = (
        "## Test Tasks\n\n### TASK-T01\n[Unit tests - reservations]\nDependencies: TASK-001, TASK-002\n\n"
        "**Objective:** Run them\n\n### TASK-001\n**Objective:** a\n\n### TASK-002\n**Objective:** b\n"
    )
    q = parse_task_queue(text)
    assert q.get("TASK-T01").dependencies == ["TASK-001", "TASK-002"]
    assert validate(q) == []
    q.get("TASK-T01").dependencies = ["TASK-002"]
    assert changed_lines(text, q.render()) == [("Dependencies: TASK-001, TASK-002", "Dependencies: TASK-002")]


def test_a_task_link_on_a_bullet_style_issue_is_a_bullet(tmp_path: Path) -> None:
    path = tmp_path / "issue_queue.md"
    shutil.copy(LAYOUTS / "issues_protocol.md", path)
    update_issues(path, {}, tasks={"ISSUE-20260111-001": "TASK-005"})
    assert (
        "- **Summary**: The catalogue page takes four seconds with 2,000 tools\n- **Task Ref**: TASK-005\n"
        in (path.read_text())
    )
    assert load_issue_queue(path).get("ISSUE-20260111-001").task == "TASK-005"
