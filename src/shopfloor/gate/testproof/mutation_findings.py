"""The mutation check's findings: MU001 for a changed function the task's tests run but do not check at
all, MU003 for one they never run, MU002 for each other mutant that survived."""

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
    """MU001 (`untested`) for a function the task's tests run but whose every mutant survived; MU003
    (medium) for one they never run; MU002 (medium) for each other survivor."""
    out: list[Finding] = []
    for fn in report.functions:
        mine = [m for m in report.survivors if m.file == fn.file and m.function == fn.function]
        if not mine:
            continue
        if fn.killed == 0 and fn.not_run == 0:
            out.append(_unchecked(fn.file, fn.line, fn.function, mine, untested))
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


def _unchecked(
    file: str, line: int, function: str, survivors: list[MutantOutcome], severity: Severity
) -> Finding:
    count = "its only mutant" if len(survivors) == 1 else f"all {len(survivors)} of its mutants"
    example = survivors[0]
    if not any(m.reached for m in survivors):
        return Finding(
            file=file,
            line=line,
            rule_id="MU003",
            severity="medium",
            source="testproof",
            message=f"untested-function: no test the task added or changed runs `{function}`, so {count} "
            f"survived, e.g. {example.description} at line {example.line}",
            fix_hint=f"Add a test that calls `{function}` (directly or through the code that uses it) and "
            "asserts on what it returns or does.",
        )
    what = "whatever `{}` returns" if any(m.kind == "return" for m in survivors) else "with `{}` broken"
    return Finding(
        file=file,
        line=line,
        rule_id="MU001",
        severity=severity,
        source="testproof",
        message=f"unchecked-function: the task's tests run `{function}` but pass {what.format(function)}: "
        f"{count} survived, e.g. {example.description} at line {example.line}",
        fix_hint=f"Assert on what `{function}` returns or does, against independently known values, so "
        "that each mutant shown fails the tests.",
    )
