"""The dependency graph of a queue: what can start now, parallel waves, the critical path, what to block.

A graph maps each task ID to the IDs it depends on, in queue order. Dependencies on IDs that are not in
the graph are ignored here; `shopfloor.queue.tasks.validate` reports them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Protocol

Graph = Mapping[str, Sequence[str]]


class CycleError(ValueError):
    """The graph has a cycle, so no order exists."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
        self.cycle = cycle


class Node(Protocol):
    """Anything with an id and the ids it depends on (a Task)."""

    @property
    def id(self) -> str: ...
    @property
    def dependencies(self) -> Sequence[str]: ...


def graph_of(tasks: Iterable[Node]) -> dict[str, list[str]]:
    return {task.id: list(task.dependencies) for task in tasks}


def _deps(graph: Graph, node: str) -> list[str]:
    return [d for d in graph[node] if d in graph]


def find_cycles(graph: Graph) -> list[list[str]]:
    """One concrete cycle per strongly connected group, each starting at its earliest task in queue order."""
    order = {node: i for i, node in enumerate(graph)}
    cycles: list[list[str]] = []
    for group in _strongly_connected(graph):
        start = min(group, key=order.__getitem__)
        if len(group) == 1 and start not in graph[start]:
            continue
        cycles.append(_cycle_through(graph, start, set(group)))
    return sorted(cycles, key=lambda c: order[c[0]])


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative so long chains do not hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_at = work.pop()
            if child_at == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = _deps(graph, node)
            if child_at < len(children):
                work.append((node, child_at + 1))
                child = children[child_at]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return groups


def _cycle_through(graph: Graph, start: str, group: set[str]) -> list[str]:
    """Shortest path from `start` back to itself inside `group` (breadth first)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for dep in _deps(graph, node):
            if dep not in group:
                continue
            if dep == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if dep not in came_from:
                came_from[dep] = node
                queue.append(dep)
    return [start]


def ready_tasks(
    graph: Graph, statuses: Mapping[str, str], satisfied: Collection[str] = ("completed",)
) -> list[str]:
    """Pending tasks whose dependencies all have a status in `satisfied`, in queue order."""
    return [
        node
        for node in graph
        if statuses.get(node, "pending") == "pending"
        and all(statuses.get(dep) in satisfied for dep in _deps(graph, node))
    ]


def waves(graph: Graph, done: Collection[str] = ()) -> list[list[str]]:
    """Tasks grouped so each wave depends only on earlier waves (and on `done`, which is left out)."""
    order = {node: i for i, node in enumerate(graph)}
    remaining = {node: [d for d in _deps(graph, node) if d not in done] for node in graph if node not in done}
    dependents: dict[str, list[str]] = {node: [] for node in remaining}
    for node, deps in remaining.items():
        for dep in deps:
            dependents[dep].append(node)
    waiting = {node: len(set(deps)) for node, deps in remaining.items()}
    wave = [node for node, count in waiting.items() if count == 0]
    result: list[list[str]] = []
    while wave:
        result.append(wave)
        following: list[str] = []
        for node in wave:
            for child in dict.fromkeys(dependents[node]):
                waiting[child] -= 1
                if waiting[child] == 0:
                    following.append(child)
        wave = sorted(following, key=order.__getitem__)
    if sum(len(w) for w in result) < len(remaining):
        placed = {node for w in result for node in w}
        stuck = {node: deps for node, deps in remaining.items() if node not in placed}
        raise CycleError(find_cycles(stuck)[0])
    return result


def critical_path(graph: Graph, durations: Mapping[str, float]) -> tuple[float, list[str]]:
    """The longest chain by summed duration (missing durations count as 0), in the order it must run."""
    finish: dict[str, float] = {}
    before: dict[str, str | None] = {}
    for wave in waves(graph):
        for node in wave:
            deps = _deps(graph, node)
            prev = max(deps, key=finish.__getitem__) if deps else None
            before[node] = prev
            finish[node] = (finish[prev] if prev else 0.0) + durations.get(node, 0.0)
    if not finish:
        return 0.0, []
    node_or_none: str | None = max(finish, key=finish.__getitem__)
    total = finish[node_or_none] if node_or_none else 0.0
    chain: list[str] = []
    while node_or_none is not None:
        chain.append(node_or_none)
        node_or_none = before[node_or_none]
    return total, chain[::-1]


def dependents_to_block(
    graph: Graph, failed: str, statuses: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Tasks depending on `failed`, directly or not, with the reason to show; finished ones are skipped."""
    dependents: dict[str, list[str]] = {node: [] for node in graph}
    for node in graph:
        for dep in _deps(graph, node):
            dependents[dep].append(node)
    reasons: dict[str, str] = {}
    queue = deque([failed])
    while queue:
        current = queue.popleft()
        for child in dependents.get(current, []):
            if child in reasons or child == failed:
                continue
            if statuses is not None and statuses.get(child) in ("completed", "failed"):
                continue
            if current == failed:
                reasons[child] = f"dependency {failed} failed"
            else:
                reasons[child] = f"dependency {current} is blocked ({failed} failed)"
            queue.append(child)
    return reasons
