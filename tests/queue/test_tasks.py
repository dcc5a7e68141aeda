"""Task queue: lossless round-trips, targeted edits, and problems reported with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from shopfloor.queue.tasks import (
    Task,
    load_task_queue,
    parse_task_queue,
    render_task,
    save_task_queue,
    update_task_statuses,
    validate,
)

FULL = """\
# Task Queue

Generated from PRD.md. Edit freely; statuses are kept up to date by shopfloor.

```markdown
### TASK-999
| Status | this is only an example |
```

### TASK-001: Database schema
| Field      | Value         |
|------------|---------------|
| Status     | pending       |
| Category   | backend       |
| Complexity | normal        |
| Priority   | high          |

**Objective:** Create the users table
and its migration.

**Acceptance Criteria:**
- migration runs
- rollback works
  on sqlite too

**Dependencies:** None

**Notes:** keep it small

---

### TASK-002
| Field | Value |
|-------|-------|
| Status | in progress |
| Category | backend |
| Complexity | complex |
| Agent | backend-agent |
| Model | opus |

**Objective:** Login endpoint.

**Acceptance Criteria:**

1. POST /login returns a token
2. [ ] a bad password gives 401

**Dependencies:** TASK-001 (schema)

**Security Requirements:**
- bcrypt for passwords
- rate limit by IP

**Data Models:**
```python
class User:
    id: int
    # **Not:** a section
```

## Later
Some trailing words, no newline at the end."""

MINIMAL = """\
### TASK-001
| Field | Value |
|---|---|
| Status | completed |
| Category | docs |
| Complexity | easy |

**Objective:** Write the README.

**Acceptance Criteria:**
* README explains setup

**Dependencies:** none
"""

CRLF = MINIMAL.replace("\n", "\r\n")

ODD_SPACING = """\


###   TASK-010 — Health check


|Field|Value|
|:-|:-|
|Status|pending|
|Category|devops|
|Complexity|easy|
**Objective**: Add /health.
**Criteria:**
- returns 200
**Depends on:** -
### TASK-011
| Field | Value |
|-------|-------|
| Status | blocked |
| Category | testing |
| Complexity | normal |
| Owner | dana |

**Objective:** Cover /health.

**Acceptance Criteria:**
- a test hits /health

**Dependencies:** TASK-010, and TASK-010
   \t
"""


@pytest.mark.parametrize("text", [FULL, MINIMAL, CRLF, ODD_SPACING, "", "# Only a title\n"])
def test_render_of_unmodified_queue_is_identical(text: str) -> None:
    assert parse_task_queue(text).render() == text


def test_fields_are_read() -> None:
    queue = parse_task_queue(FULL)
    assert queue.ids == ["TASK-001", "TASK-002"]
    first, second = queue.tasks
    assert first.title == "Database schema"
    assert first.objective == "Create the users table\nand its migration."
    assert first.criteria == ["migration runs", "rollback works on sqlite too"]
    assert first.dependencies == []
    assert (first.priority, first.extra_fields) == ("high", {})
    assert first.extra_sections == {"Notes": "keep it small"}
    assert second.status == "in_progress"
    assert (second.agent, second.model, second.complexity) == ("backend-agent", "opus", "complex")
    assert second.criteria == ["POST /login returns a token", "a bad password gives 401"]
    assert second.dependencies == ["TASK-001"]
    assert second.security_requirements == "- bcrypt for passwords\n- rate limit by IP"
    assert second.data_models is not None and "# **Not:** a section" in second.data_models
    odd = parse_task_queue(ODD_SPACING)
    assert odd.get("TASK-010").criteria == ["returns 200"]
    assert odd.get("TASK-010").dependencies == []
    assert odd.get("TASK-011").dependencies == ["TASK-010"]
    assert odd.get("TASK-011").extra_fields == {"Owner": "dana"}
    assert validate(odd) == []


def test_status_update_changes_only_that_cell() -> None:
    queue = parse_task_queue(FULL)
    queue.set_status("TASK-001", "completed")
    queue.set_status("TASK-002", "in_progress")  # same value, written differently: untouched
    out = queue.render()
    before, after = FULL.splitlines(keepends=True), out.splitlines(keepends=True)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("| Status     | pending       |\n", "| Status     | completed     |\n")]


def test_status_update_keeps_crlf_and_missing_rows_are_added() -> None:
    queue = parse_task_queue(CRLF)
    queue.set_status("TASK-001", "failed")
    queue.get("TASK-001").model = "haiku"
    out = queue.render()
    assert "| Status | failed |\r\n| Category | docs |" in out
    assert "| Complexity | easy |\r\n| Model | haiku |\r\n\r\n**Objective:**" in out
    assert "\n" not in out.replace("\r\n", "")


def test_edits_rewrite_only_their_sections() -> None:
    queue = parse_task_queue(FULL)
    task = queue.get("TASK-002")
    task.criteria.append("tokens expire")
    task.agent = None
    task.files = "src/auth.py"
    task.extra_sections["Notes"] = "added later"
    reparsed = parse_task_queue(queue.render())
    again = reparsed.get("TASK-002")
    assert again.criteria == [*task.criteria]
    assert again.agent is None
    assert again.files == "src/auth.py"
    assert again.extra_sections == {"Notes": "added later"}
    assert again.data_models == task.data_models
    assert reparsed.get("TASK-001") == queue.get("TASK-001")
    out = queue.render()
    assert out.startswith(FULL.split("### TASK-002")[0])
    assert out.endswith("## Later\nSome trailing words, no newline at the end.")


def test_added_task_round_trips() -> None:
    queue = parse_task_queue(MINIMAL)
    new = Task(
        id="TASK-002",
        title="Deploy",
        category="devops",
        complexity="normal",
        objective="Ship it.",
        criteria=["runs in CI", "has a rollback"],
        dependencies=["TASK-001"],
        agent="general-purpose",
        security_requirements="- no secrets in the image",
        extra_fields={"Owner": "ops"},
    )
    queue.add(new)
    out = queue.render()
    assert out.startswith(MINIMAL + "\n### TASK-002: Deploy\n")
    assert parse_task_queue(out).get("TASK-002") == new
    assert parse_task_queue(render_task(new)).render() == render_task(new)
    with pytest.raises(ValueError, match="already"):
        queue.add(new)


BROKEN = textwrap.dedent(
    """\
    # Queue

    ### TASK-001
    | Field | Value |
    |-------|-------|
    | Status | pending |
    | Category | backnd |
    | Complexity | normal |

    **Objective:** A.

    **Acceptance Criteria:**
    - a

    **Dependencies:** None

    ### TASK-002
    | Field | Value |
    |-------|-------|
    | Status | pending |
    | Category | backend |
    | Complexity | hard |
    | Agent | x | y |

    **Objective:** B.

    **Acceptance Criteria:**
    - b

    ### TASK-003
    | Field | Value |
    |-------|-------|
    | Status | pending |
    | Category | frontend |
    | Complexity | easy |

    **Acceptance Criteria:**

    **Dependencies:** TASK-004, TASK-0044, Task one

    ### TASK-004
    | Field | Value |
    |-------|-------|
    | Status | done |
    | Category | testing |
    | Complexity | easy |

    **Objective:** D.

    **Acceptance Criteria:**
    - d

    **Dependencies:** TASK-005

    ### TASK-005
    | Field | Value |
    |-------|-------|
    | Category | testing |
    | Complexity | easy |

    **Objective:** E.

    **Acceptance Criteria:**
    - e

    **Dependencies:** TASK-006

    ### TASK-006
    | Field | Value |
    |-------|-------|
    | Category | docs |
    | Complexity | easy |

    **Objective:** F.

    **Acceptance Criteria:**
    - f

    **Dependencies:** TASK-005

    ### TASK-006
    | Field | Value |
    |-------|-------|
    | Category | docs |
    | Complexity | easy |

    **Objective:** F again.

    **Acceptance Criteria:**
    - f

    ### Task 7
    """
)


def test_hand_broken_queue_reports_each_problem_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "task_queue.md"
    path.write_text(BROKEN)
    queue = load_task_queue(path)
    messages = [str(p).replace(str(tmp_path) + "/", "") for p in validate(queue)]
    expected = [
        "task_queue.md:7: TASK-001: unknown category 'backnd' (expected one of backend, frontend, "
        "fullstack, testing, devops, docs); did you mean 'backend'?",
        "task_queue.md:22: TASK-002: unknown complexity 'hard' (expected one of easy, normal, complex)",
        "task_queue.md:23: TASK-002: malformed table row (expected '| Field | Value |')",
        "task_queue.md:30: TASK-003: missing objective (add '**Objective:** ...')",
        "task_queue.md:37: TASK-003: no acceptance criteria (add '**Acceptance Criteria:**' with at least "
        "one '- ' item)",
        "task_queue.md:39: TASK-003: cannot read dependency 'Task one' (write task IDs like TASK-001, "
        "a range like 'TASK-001 through TASK-005', 'ALL build tasks', 'ALL tasks', or None)",
        "task_queue.md:39: TASK-003: unknown dependency 'TASK-0044'; did you mean TASK-004?",
        "task_queue.md:44: TASK-004: unknown status 'done' (expected one of pending, in_progress, "
        "completed, failed, blocked)",
        "task_queue.md:66: TASK-005: dependency cycle: TASK-005 -> TASK-006 -> TASK-005",
        "task_queue.md:81: TASK-006: duplicate task ID (first defined on line 68)",
        "task_queue.md:92: heading '### Task 7' is not a task ID (expected e.g. '### TASK-007')",
    ]
    assert messages == expected


def test_status_update_in_file_keeps_a_person_s_concurrent_edit(tmp_path: Path) -> None:
    path = tmp_path / "task_queue.md"
    path.write_text(MINIMAL)
    queue = load_task_queue(path)
    hand_added = "\n### TASK-002\n| Field | Value |\n|-|-|\n| Category | docs |\n| Complexity | easy |\n"
    path.write_text(MINIMAL + hand_added)
    update_task_statuses(path, {"TASK-001": "failed", "TASK-002": "in_progress", "TASK-404": "failed"})
    text = path.read_text()
    assert text.startswith(MINIMAL.replace("| Status | completed |", "| Status | failed |"))
    assert text.endswith("| Category | docs |\n| Complexity | easy |\n| Status | in_progress |\n")
    queue.set_status("TASK-001", "blocked")
    save_task_queue(queue, tmp_path / "copy.md")
    assert load_task_queue(tmp_path / "copy.md").get("TASK-001").status == "blocked"


def test_missing_rows_are_assumed_and_a_dependency_row_is_a_dependency() -> None:
    text = textwrap.dedent(
        """\
        ### TASK-001
        | Field | Value |
        |-------|-------|
        | Complexity | easy |
        | Dependencies | TASK-002 |

        **Objective:** A.
        """
    )
    queue = parse_task_queue(text, "q.md")
    (task,) = queue.tasks
    assert (task.category, task.complexity, task.dependencies) == ("backend", "easy", ["TASK-002"])
    assert task.assumed == [
        "no Category: assumed backend (nothing in its objective points elsewhere)",
        "no acceptance criteria: the objective and the project's checks decide",
    ]
    assert [str(p) for p in validate(queue)] == ["q.md:5: TASK-001: unknown dependency 'TASK-002'"]
    assert [str(p) for p in validate(parse_task_queue("# nothing yet\n", "q.md"))] == [
        "q.md:1: no tasks found (each task starts with '### TASK-001')"
    ]
