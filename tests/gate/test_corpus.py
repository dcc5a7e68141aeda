"""The corpus: every planted vulnerability of each small app is reported at its line and severity, and
the app's clean twin, the same code fixed, has no high finding at all."""

from __future__ import annotations

import pytest

from shopfloor.gate.findings import rank
from shopfloor.gate.security import run_checklist

from .corpus_markers import APPS, CORPUS, planted, reported


def test_every_framework_has_an_app_with_a_clean_twin() -> None:
    assert {"flask", "django", "aiohttp", "fastapi", "graphql", "express", "fastify"} <= set(APPS)
    for app in APPS:
        assert (CORPUS / app / "clean").is_dir(), app
        assert planted(CORPUS / app / "vuln"), app
        assert planted(CORPUS / app / "clean") == [], app


@pytest.mark.anyio
@pytest.mark.parametrize("app", APPS)
async def test_planted_vulnerabilities_are_reported(app: str) -> None:
    root = CORPUS / app / "vuln"
    findings = await run_checklist(root, use_bandit=False)
    for p in planted(root):
        hits = [f for f in findings if reported(p, f.file, f.line, f.end_line, f.rule_id)]
        assert hits, f"{p} not among {sorted((f.file, f.line, f.rule_id) for f in findings)}"
        assert max(rank(f.severity) for f in hits) == rank(p.severity), f"{p}: {hits}"  # type: ignore[arg-type]


@pytest.mark.anyio
@pytest.mark.parametrize("app", APPS)
async def test_clean_twin_has_no_high_finding(app: str) -> None:
    findings = await run_checklist(CORPUS / app / "clean", use_bandit=False)
    assert [(f.file, f.line, f.rule_id) for f in findings if f.severity == "high"] == []
