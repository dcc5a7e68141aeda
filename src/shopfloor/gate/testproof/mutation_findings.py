"""The mutation check's findings: MU001 for a changed function the task's tests do not pin down at all,
MU002 for each other mutant that survived."""

from __future__ import annotations

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.report import MutantOutcome, MutationReport

_WHY: dict[str, str] = {
    "return": "no test checks what it returns there",
    "condition": "no test checks the other branch",
    "operator": "no test tells the two operators apart",
    "statement": "no test notices the statement is gone",
}


def mutation_findings(report: MutationReport, *, untested: Severity = "high") -> list[Finding]:
    """MU001 (`untested`) for a function whose every mutant survived; MU002 (medium) for the others."""
    out: list[Finding] = []
    for fn in report.functions:
        mine = [m for m in report.survivors if m.file == fn.file and m.function == fn.function]
        if not mine:
            continue
        if fn.killed == 0:
            out.append(_untested(fn.file, fn.line, fn.function, mine, untested))
            continue
        for m in mine:
            reach = "no test runs this line" if not m.reached else _WHY[m.kind]
            out.append(
                Finding(
                    file=m.file,
                    line=m.line,
                    rule_id="MU002",
                    severity="medium",
                    source="testproof",
                    message=f"surviving-mutant: the task's tests still pass with {m.description} in "
                    f"`{m.function}`: {reach}",
                    fix_hint="Add a test case for this path (the other branch, the error case) that "
                    "would fail with the mutant shown.",
                )
            )
    return out


def _untested(
    file: str, line: int, function: str, survivors: list[MutantOutcome], severity: Severity
) -> Finding:
    what = "whatever `{}` returns" if any(m.kind == "return" for m in survivors) else "with `{}` broken"
    count = "its only mutant" if len(survivors) == 1 else f"all {len(survivors)} of its mutants"
    example = survivors[0]
    unreached = "" if example.reached else " (no test even runs that line)"
    return Finding(
        file=file,
        line=line,
        rule_id="MU001",
        severity=severity,
        source="testproof",
        message=f"untested-change: the task's tests pass {what.format(function)}: {count} survived, "
        f"e.g. {example.description} at line {example.line}{unreached}",
        fix_hint=f"Add tests that call `{function}` and assert on its result or effect against "
        "independently known values, so that each mutant shown fails them.",
    )
