"""The checklist on a diff models only the languages the diff touched, and still judges those fully."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.gate.security import ScanScope, run_checklist

pytestmark = pytest.mark.anyio

EXPRESS = """\
const express = require('express');
const app = express();
app.get('/me', requireAuth, (req, res) => res.json(req.user));
app.post('/notes', requireAuth, (req, res) => res.json({}));
"""
FLASK = """\
import requests
from flask import Flask
app = Flask(__name__)


@app.route("/notes/<int:note_id>", methods=["DELETE"])
def delete_note(note_id):
    requests.get("https://audit.example.invalid", verify=False)
    return ""
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.js").write_text(EXPRESS)
    (tmp_path / "api.py").write_text(FLASK)
    return tmp_path


def diff(files: dict[str, set[int]]) -> ScanScope:
    return ScanScope(changed_lines=files, files=sorted(files))


async def test_a_python_change_reads_no_javascript(project: Path) -> None:
    # With the Express routes read, every other route of the project requires a login, so an open DELETE
    # route is high; a change to Python alone does not model them, and bandit still judges the Python.
    found = await run_checklist(project, scope=diff({"api.py": set(range(1, 10))}))
    assert {(f.file, f.line, f.rule_id, f.source) for f in found} == {("api.py", 8, "B501", "bandit")}


async def test_a_change_to_both_languages_models_both(project: Path) -> None:
    found = await run_checklist(project, scope=diff({"api.py": set(range(1, 10)), "app.js": {4}}))
    assert {(f.file, f.line, f.rule_id) for f in found} == {
        ("api.py", 6, "missing-auth"),
        ("api.py", 8, "B501"),
    }


async def test_a_change_to_javascript_alone_is_judged_fully(project: Path) -> None:
    (project / "app.js").write_text(EXPRESS + "app.delete('/admin/users', (req, res) => res.json([]));\n")
    found = await run_checklist(project, scope=diff({"app.js": {5}}))
    assert {(f.file, f.line, f.rule_id, f.severity) for f in found} == {("app.js", 5, "missing-auth", "high")}
