"""Dependency graph: readiness, waves, cycles, critical path, blocking with reasons."""

from __future__ import annotations

import pytest

from shopfloor.queue.dag import (
    CycleError,
    critical_path,
    dependents_to_block,
    find_cycles,
    graph_of,
    ready_tasks,
    waves,
)
from shopfloor.queue.tasks import parse_task_queue

# A -> needs nothing; B, C need A; D needs B and C; E needs nothing; F needs D.
GRAPH = {"A": [], "B": ["A"], "C": ["A"], "D": ["B", "C"], "E": [], "F": ["D"]}


def test_ready_tasks_follow_statuses() -> None:
    assert ready_tasks(GRAPH, {}) == ["A", "E"]
    assert ready_tasks(GRAPH, {"A": "completed", "E": "in_progress"}) == ["B", "C"]
    assert ready_tasks(GRAPH, {"A": "completed", "B": "completed", "C": "failed"}) == ["E"]
    assert ready_tasks(GRAPH, {"A": "completed", "B": "completed", "C": "completed", "E": "completed"}) == [
        "D"
    ]


def test_waves_and_done_tasks() -> None:
    assert waves(GRAPH) == [["A", "E"], ["B", "C"], ["D"], ["F"]]
    assert waves(GRAPH, done={"A", "B"}) == [["C", "E"], ["D"], ["F"]]


def test_cycles_are_named() -> None:
    cyclic = {"T1": ["T3"], "T2": ["T1"], "T3": ["T2"], "T4": ["T4"], "T5": ["T1"]}
    assert find_cycles(cyclic) == [["T1", "T3", "T2"], ["T4"]]
    assert find_cycles(GRAPH) == []
    with pytest.raises(CycleError, match="T1 -> T3 -> T2 -> T1"):
        waves(cyclic)


def test_long_chain_has_no_recursion_problem() -> None:
    chain = {f"T{i}": ([f"T{i - 1}"] if i else []) for i in range(5000)}
    assert find_cycles(chain) == []
    assert len(waves(chain)) == 5000


def test_critical_path() -> None:
    total, path = critical_path(GRAPH, {"A": 1, "B": 5, "C": 2, "D": 1, "E": 7, "F": 1})
    assert (total, path) == (8, ["A", "B", "D", "F"])
    assert critical_path({}, {}) == (0.0, [])


def test_failure_blocks_dependents_transitively_with_reasons() -> None:
    assert dependents_to_block(GRAPH, "B") == {
        "D": "dependency B failed",
        "F": "dependency D is blocked (B failed)",
    }
    assert dependents_to_block(GRAPH, "A", statuses={"C": "completed"}) == {
        "B": "dependency A failed",
        "D": "dependency B is blocked (A failed)",
        "F": "dependency D is blocked (A failed)",
    }
    assert dependents_to_block(GRAPH, "F") == {}


def test_graph_of_tasks() -> None:
    queue = parse_task_queue(
        "### TASK-001\n|Field|Value|\n|-|-|\n|Category|docs|\n|Complexity|easy|\n\n"
        "### TASK-002\n|Field|Value|\n|-|-|\n|Category|docs|\n|Complexity|easy|\n\n"
        "**Dependencies:** TASK-001\n"
    )
    assert graph_of(queue.tasks) == {"TASK-001": [], "TASK-002": ["TASK-001"]}
