"""The checklist's rules on small sources: what they catch, and the look-alikes they leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.gate.security import run_checklist


async def scan(root: Path, files: dict[str, str]) -> set[tuple[str, int, str, str]]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    found = await run_checklist(root, use_bandit=False)
    return {(f.file, f.line, f.rule_id, f.severity) for f in found}


def rules(found: set[tuple[str, int, str, str]]) -> set[tuple[int, str, str]]:
    return {(line, rule, sev) for _, line, rule, sev in found}


PY_SQL = """\
def f(cur, uid, name, table):
    cur.execute("SELECT * FROM t WHERE id = ?", (uid,))
    cur.execute("SELECT * FROM t WHERE id = %s" % uid)
    cur.execute("SELECT * FROM t WHERE name = '{}'".format(name))
    q = "SELECT * FROM t WHERE id = " + str(uid)
    cur.execute(q)
    cur.execute(f"SELECT * FROM {table} WHERE id = ?", (uid,))
    cur.execute("SELECT " + "1")
    print(f"selected {uid}")
    view = "sys.views"
    cur.execute(f"SELECT name FROM {view}")
    cur.execute("SELECT name FROM {}".format(view))
    cur.execute(f"PRAGMA busy_timeout = {int(uid * 1000)}")
    cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
"""


@pytest.mark.anyio
async def test_python_sql_building(tmp_path: Path) -> None:
    assert rules(await scan(tmp_path, {"db.py": PY_SQL})) == {
        (3, "sql-injection", "high"),
        (4, "sql-injection", "high"),
        (6, "sql-injection", "high"),
        (7, "sql-injection", "medium"),  # bind parameters passed too: an identifier, most likely
    }


JS_SQL = """\
// db.query(`SELECT * FROM users WHERE id = ${id}`) in a comment is not code
const quote = /['"`]/;
async function f(db, prisma, req, cache, id) {
  await prisma.$queryRaw`SELECT * FROM users WHERE id = ${id}`;
  await db.query('SELECT * FROM users WHERE id = $1', [req.params.id]);
  await db.query('SELECT * FROM users WHERE id = ' + req.params.id);
  cache.get(`user:${id}`);
  const q = `DELETE FROM users
    WHERE id = ${req.params.id}`;
  await db.query(q);
}
"""


@pytest.mark.anyio
async def test_js_sql_building(tmp_path: Path) -> None:
    assert rules(await scan(tmp_path, {"db.js": JS_SQL})) == {
        (6, "sql-injection", "high"),
        (10, "sql-injection", "high"),
    }


PY_SECRETS = """\
import os

import jwt

SECRET_KEY = os.environ["SECRET_KEY"]
PASSWORD = "password"
password_field = "password"
fallback = os.getenv("JWT_SECRET", "dev-secret-123")
API_KEY = "k3y-live-0000111122223333"


def token(claims):
    return jwt.encode(claims, SECRET_KEY, algorithm="HS256")
"""


@pytest.mark.anyio
async def test_python_secrets(tmp_path: Path) -> None:
    found = await scan(
        tmp_path,
        {"app/settings.py": PY_SECRETS, "tests/test_settings.py": 'API_KEY = "k3y-0000111122223333"\n'},
    )
    assert ("app/settings.py", 8, "secret-fallback", "medium") in found
    assert ("app/settings.py", 9, "hardcoded-secret", "high") in found
    assert ("tests/test_settings.py", 1, "hardcoded-secret", "medium") in found  # softened in tests
    assert {line for f, line, _, _ in found if f == "app/settings.py"} == {8, 9}


@pytest.mark.anyio
async def test_example_credentials_in_docstrings_are_review_items(tmp_path: Path) -> None:
    src = (
        'def connect(url):\n    """Connect, e.g. connect("postgresql://scott:t1gerXy9@db/app")."""\n\n\n'
        'URL = "postgresql://app:Zq81xLmP02@db.internal/app"\n'
    )
    found = await scan(tmp_path, {"conn.py": src})
    assert ("conn.py", 2, "secret-basic-auth-credentials", "low") in found
    assert ("conn.py", 5, "secret-basic-auth-credentials", "high") in found


@pytest.mark.anyio
async def test_private_key_and_aws_key_in_code(tmp_path: Path) -> None:
    body = "MIIEowIBAAKCAQEAwJt8xQ3Pz7Hh2LrK9sVvN0mYd4eF1gT6uJ8kL2nM5oP7qR9s"
    key = f"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n-----END RSA PRIVATE KEY-----"
    doc = "-----BEGIN PRIVATE KEY-----\\nXXXX\\n-----END PRIVATE KEY-----"
    src = f'KEY_PEM = "{key}"\naws_id = "AKIAIOSFODNN7EXAMPLE"\nEXAMPLE = "{doc}"\n'
    found = await scan(tmp_path, {"keys.py": src})
    assert ("keys.py", 1, "secret-private-key", "high") in found
    assert ("keys.py", 2, "secret-aws-access-key", "high") in found
    assert ("keys.py", 3, "secret-private-key", "low") in found  # no key material: a format example


LOGS = """\
import logging

log = logging.getLogger(__name__)


def f(user, password, access_token, hashed_password):
    log.info("token refreshed for %s", user.id)
    print(f"token={access_token}")
    log.debug("hash %s", hashed_password)
    log.info("length %d", len(password))
    log.warning("login by %s with %s", user.name, user.password)
"""


@pytest.mark.anyio
async def test_python_logs(tmp_path: Path) -> None:
    # print() on line 8 is a command-line tool's output here: this module serves no requests.
    assert rules(await scan(tmp_path, {"auth.py": LOGS})) == {
        (9, "sensitive-data-in-log", "medium"),
        (11, "sensitive-data-in-log", "high"),
    }


@pytest.mark.anyio
async def test_print_counts_as_a_log_in_a_server_module(tmp_path: Path) -> None:
    served = "from flask import Flask\n\n\ndef f(access_token):\n    print(f'token={access_token}')\n"
    assert rules(await scan(tmp_path, {"web.py": served})) == {(5, "sensitive-data-in-log", "high")}


JS_MISC = """\
const secret = process.env.JWT_SECRET || 'development-secret';
const short = process.env.JWT_SECRET || 'dev';
function f(req, logger) {
  console.log('password reset requested');
  console.log({ password: '***', user: req.user.id });
  logger.info(req.body.password);
  console.error(`refresh ${req.body.refreshToken}`);
}
"""


@pytest.mark.anyio
async def test_js_logs_and_fallback_secrets(tmp_path: Path) -> None:
    assert rules(await scan(tmp_path, {"src/misc.js": JS_MISC})) == {
        (1, "secret-fallback", "medium"),
        (2, "secret-fallback", "medium"),  # short, but still a secret anyone can read here
        (6, "sensitive-data-in-log", "high"),
        (7, "sensitive-data-in-log", "high"),
    }


EXPRESS_MOUNTED = {
    "src/app.js": """\
const express = require('express');
const adminRouter = require('./routes/admin');
const { requireAuth, requireAdmin } = require('./auth');
const app = express();
app.use('/admin', requireAuth, requireAdmin, adminRouter);
app.get('/me', requireAuth, (req, res) => res.json(req.user));
app.get('/reports', (req, res) => res.json([]));
app.post('/notes', requireAuth, (req, res) => res.json({ text: req.body.text }));
""",
    "src/routes/admin.js": """\
const router = require('express').Router();
router.get('/users', (req, res) => res.json([]));
module.exports = router;
""",
}


@pytest.mark.anyio
async def test_express_routes_mounted_behind_auth_are_authenticated(tmp_path: Path) -> None:
    assert await scan(tmp_path, EXPRESS_MOUNTED) == {
        ("src/app.js", 7, "missing-auth", "medium"),
        ("src/app.js", 8, "input-validation", "medium"),
    }


FASTAPI_ROUTERS = {
    "app/main.py": """\
from fastapi import Depends, FastAPI

from app.deps import get_current_user, require_admin
from app.routers import admin

app = FastAPI()
app.include_router(admin.router, prefix="/admin", dependencies=[Depends(require_admin)])


@app.get("/me")
def me(user=Depends(get_current_user)):
    return user


@app.post("/notes")
def add_note(body: dict):
    return body


@app.delete("/notes/{note_id}")
def delete_note(note_id: int, db, user=Depends(get_current_user)):
    note = db.get(Note, note_id)
    db.delete(note)
""",
    "app/routers/admin.py": """\
from fastapi import APIRouter

router = APIRouter()


@router.get("/users")
def users():
    return []
""",
}


@pytest.mark.anyio
async def test_fastapi_routes(tmp_path: Path) -> None:
    assert await scan(tmp_path, FASTAPI_ROUTERS) == {
        ("app/main.py", 15, "missing-auth", "medium"),
        ("app/main.py", 16, "input-validation", "medium"),
        ("app/main.py", 22, "idor", "medium"),  # where the note is loaded; not a user's record
    }


@pytest.mark.anyio
async def test_projects_without_auth_get_no_auth_findings(tmp_path: Path) -> None:
    src = (
        'from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get("/reports/stats")\n'
        "def stats():\n    return {}\n"
    )
    assert await scan(tmp_path, {"main.py": src}) == set()


@pytest.mark.anyio
async def test_an_admin_route_needs_auth_even_where_nothing_else_has_it(tmp_path: Path) -> None:
    src = "const app = require('express')();\napp.get('/admin/users', (req, res) => res.json([]));\n"
    assert await scan(tmp_path, {"app.js": src}) == {("app.js", 2, "missing-auth", "high")}


@pytest.mark.anyio
async def test_bandit_runs_on_projects_whose_modules_shadow_the_stdlib(tmp_path: Path) -> None:
    files = {
        "types.py": "X = 1\n",
        "app.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False)\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    found = await run_checklist(tmp_path)
    assert [(f.file, f.line, f.rule_id, f.source) for f in found] == [("app.py", 5, "B501", "bandit")]
