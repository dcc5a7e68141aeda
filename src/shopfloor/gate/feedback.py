"""The gate report as text: what an agent reads after a failed gate, and the final failure report."""

from __future__ import annotations

from shopfloor.gate.findings import Finding, at_least
from shopfloor.gate.report import CheckResult, GateReport

_AGENT_OUTPUT_CHARS = 2500
_REVIEW_ITEMS = 10
_MUTANT_DIFFS = 5
_MUTANT_DIFF_CHARS = 1200


def format_report_for_agent(report: GateReport) -> str:
    """What failed and how to fix it, concise enough to act on in the next turn."""
    lines = [
        f"VERIFICATION GATE: {report.verdict.upper()}"
        + (f" for {report.task_id}" if report.task_id else "")
        + f" (tree {report.tree_hash[:12]}).",
    ]
    if report.passed:
        lines.append("All checks passed.")
    else:
        lines.append(
            "The harness ran the checks itself. Fix every item below in this same working directory, "
            "re-run the commands to confirm, then write the completion marker again."
        )
    failed = [c for c in report.checks if not c.passed]
    if failed:
        lines += ["", "FAILED CHECKS:"]
        for c in failed:
            lines += _check_block(c)
    passed = [c for c in report.checks if c.passed]
    if passed:
        lines += ["", "Passed: " + ", ".join(f"`{c.command}`" for c in passed)]
    blocking = [f for f in report.findings if at_least(f.severity, report.fail_on)]
    review = [f for f in report.findings if not at_least(f.severity, report.fail_on)]
    for title, group in (
        ("SECURITY FINDINGS (must fix):", [f for f in blocking if f.source != "testproof"]),
        ("TESTS THAT CANNOT FAIL (must fix):", [f for f in blocking if f.source == "testproof"]),
    ):
        if group:
            lines += ["", title] + [_finding_line(f) for f in group]
    lines += _mutation_block(report)
    if report.tamper:
        lines += ["", "TEST TAMPERING (this task may not change these; restore them from the base):"]
        for t in report.tamper:
            lines += [f"- {t.path}: {t.reason} {t.change}.", _indent(t.diff.rstrip(), "    ")]
    other = [r for r in report.reasons if not _covered(r, report)]
    if other:
        lines += ["", "ALSO:"] + [f"- {r}" for r in other]
    if review:
        lines += ["", "Review items (not blocking, but fix them if they are yours):"]
        lines += [_finding_line(f) for f in review[:_REVIEW_ITEMS]]
        if len(review) > _REVIEW_ITEMS:
            lines.append(f"- ... and {len(review) - _REVIEW_ITEMS} more")
    return "\n".join(lines).rstrip() + "\n"


def format_failure_report(report: GateReport, rounds: int) -> str:
    """The record kept when a task has used all its gate rounds: what failed, last output, diff summary."""
    head = f"Task {report.task_id or '(none)'} failed verification {rounds} time(s)."
    body = format_report_for_agent(report).split("\n", 1)[1]
    stat = f"\nCHANGES AGAINST {report.base_ref}:\n{report.diff_stat.rstrip()}\n" if report.diff_stat else ""
    return f"{head}\n{body}{stat}"


def _check_block(c: CheckResult) -> list[str]:
    why = f"timed out after {c.duration_s:.0f}s" if c.timed_out else f"exit code {c.exit_code}"
    where = "" if c.cwd == "." else f" (in {c.cwd})"
    tail = c.output_tail[-_AGENT_OUTPUT_CHARS:].rstrip() or "(no output)"
    return [f"- {c.kind}: `{c.command}`{where}: {why}", "  last output:", _indent(tail, "    ")]


def _mutation_block(report: GateReport) -> list[str]:
    """The score, why the check was cut short, and each surviving mutant as a diff to act on."""
    m = report.mutation
    if m is None:
        return []
    if m.status == "skipped":
        return ["", "Mutation check: " + "; ".join(m.notes)] if m.notes else []
    ran = m.killed + m.survived
    head = f"MUTATION CHECK: score {m.score:.2f} ({m.killed} of {ran} mutants killed by the task's tests)"
    lines = ["", head + ("." if not m.notes else f"; {'; '.join(m.notes)}.")]
    survivors = m.survivors
    if not survivors:
        return lines
    lines.append(
        "Each mutant below is a small fault put into code this task changed; the task's tests still pass "
        "with it, so they do not check that behaviour. Add or fix tests until each one would fail:"
    )
    for s in survivors[:_MUTANT_DIFFS]:
        unreached = "" if s.reached else " (no test runs this line)"
        lines.append(f"- {s.file}:{s.line} in `{s.function}`: {s.description}{unreached}")
        lines.append(_indent(s.diff.rstrip()[:_MUTANT_DIFF_CHARS], "    "))
    if len(survivors) > _MUTANT_DIFFS:
        lines.append(f"- ... and {len(survivors) - _MUTANT_DIFFS} more surviving mutants")
    return lines


def _finding_line(f: Finding) -> str:
    return f"- {f.location} [{f.rule_id}, {f.severity}] {f.message} Fix: {f.fix_hint}"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _covered(reason: str, report: GateReport) -> bool:
    # Reasons about checks, findings and tampering are already shown in their own sections.
    return reason.endswith(("timed out", "changed", "modified", "deleted", "renamed")) or any(
        marker in reason for marker in (" check `", " security finding ", " test-integrity finding ")
    )
