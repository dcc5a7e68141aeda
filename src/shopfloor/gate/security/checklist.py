"""The backend security checklist over a tree or a diff: the project's files are parsed and its routes
modelled first, then the files in scope are judged against that model.

On a diff, only the languages it touched are modelled (and only their scanners run): a change to Python
files reads no JavaScript, and the routes of an untouched language do not count."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path, PurePosixPath

from shopfloor.gate.findings import Finding, ScanScope, dedupe, soften_for_tests
from shopfloor.gate.security.bandit_scan import scan_bandit, warm_up
from shopfloor.gate.security.files import CODE_SUFFIXES, is_generated, source_files
from shopfloor.gate.security.js_checks import js_findings, js_routes
from shopfloor.gate.security.js_project import JsProject
from shopfloor.gate.security.py_checks import python_findings, python_routes
from shopfloor.gate.security.py_modules import Project, load_module
from shopfloor.gate.security.route_rules import route_findings
from shopfloor.gate.security.routes import ProjectFacts
from shopfloor.gate.security.secrets import scan_secrets, wants_secret_scan
from shopfloor.gate.testfiles import JS_SUFFIXES

__all__ = ["run_checklist", "source_files", "warm_up_scanners"]

_LIMITER_CONFIG = re.compile(
    r"limit_req|ratelimit|rate-limit|rate_limit|throttl|slowapi|flask-limiter|django-ratelimit|"
    r"express-rate-limit|rate-limiter-flexible|express-slow-down|express-brute|koa-ratelimit",
    re.IGNORECASE,
)
_VALIDATOR_DEPS = re.compile(r"\b(pydantic|marshmallow|zod|joi|yup|ajv|celebrate|express-validator)\b")


async def run_checklist(
    root: Path,
    *,
    scope: ScanScope | None = None,
    use_bandit: bool = True,
    use_detect_secrets: bool = True,
) -> list[Finding]:
    """Findings for the files in `scope` (or the whole tree), judged against the whole project."""
    root = root.resolve()
    scope = scope or ScanScope()
    everything = await asyncio.to_thread(source_files, root)
    if scope.changed_lines is not None:
        touched = {language(f) for f in scope.files}
        everything = [f for f in everything if language(f) in touched or language(f) is None]
    sources = await asyncio.to_thread(_read_all, root, everything)
    wanted = [f for f in scope.files if f in sources] if scope.changed_lines is not None else sorted(sources)
    targets = set(wanted)
    findings = await asyncio.to_thread(_own_rules, sources, targets)
    if use_detect_secrets:
        findings += await asyncio.to_thread(scan_secrets, root, [f for f in wanted if wants_secret_scan(f)])
    if use_bandit:
        findings += await scan_bandit(root, [f for f in wanted if f.endswith(".py")])
    kept = [soften_for_tests(f) for f in findings if scope.keeps(f)]
    return dedupe(kept)


def language(rel: str) -> str | None:
    """The language whose rules and scanners judge a file; None for config and other files."""
    if rel.endswith(".py"):
        return "python"
    return "js" if rel.endswith(JS_SUFFIXES) else None


def warm_up_scanners() -> None:
    """Load the scanners' modules ahead of the first gate (blocking: call it in a worker thread).

    A scanner that cannot load is left for its scan to report, as a finding.
    """
    try:
        warm_up()
        import detect_secrets.core.scan  # noqa: F401
    except Exception:  # the scan itself will say what is wrong
        pass


def _read_all(root: Path, rels: list[str]) -> dict[str, str]:
    """Every readable source file by path, vendored and built assets left out."""
    out = {}
    for rel in rels:
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not is_generated(rel, text):
            out[rel] = text
    return out


def _own_rules(sources: dict[str, str], targets: set[str]) -> list[Finding]:
    facts = ProjectFacts()
    project = Project()
    js = JsProject()
    for rel, text in sources.items():
        if rel.endswith(".py"):
            try:
                tree = ast.parse(text, filename=rel)
            except (SyntaxError, ValueError):
                continue
            project.add(load_module(rel, tree, text))
        elif rel.endswith(JS_SUFFIXES):
            js.add(rel, text)
        elif not rel.endswith(CODE_SUFFIXES):
            _config_facts(rel, text, facts)
    py_handlers = python_routes(project, facts)
    js_handlers = js_routes(js, facts)
    facts.routes = [h.route for h in py_handlers] + [h.route for h in js_handlers]
    findings = python_findings(project, py_handlers, targets)
    findings += js_findings(js, js_handlers, targets)
    findings += route_findings(facts, targets)
    if facts.hashes_passwords:
        # A model hook may hash it on save (mongoose `pre('save')`, Django's set_password): worth a look.
        findings = [_hashed_elsewhere(f) if f.rule_id == "plaintext-password" else f for f in findings]
    return findings


def _hashed_elsewhere(f: Finding) -> Finding:
    note = " The project hashes passwords elsewhere; check that this path goes through it."
    return f.model_copy(update={"severity": "medium", "message": f.message + note})


def _config_facts(rel: str, text: str, facts: ProjectFacts) -> None:
    """Dependencies and deployment files: a limiter in a proxy config or a dependency list counts."""
    name = PurePosixPath(rel).name
    if _LIMITER_CONFIG.search(text):
        facts.limiter = True
    if name in {"package.json", "pyproject.toml", "Pipfile", "setup.cfg"} or name.startswith("requirements"):
        facts.validators = facts.validators or bool(_VALIDATOR_DEPS.search(text))
