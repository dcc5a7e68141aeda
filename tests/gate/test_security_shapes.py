"""Shapes from real apps the checklist has to judge right: limits judged once per project, constants
and throwaway credentials that are not secrets, SQL built only from constants, and SARIF output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.gate.security import run_checklist

from .projects import init_repo


async def scan(root: Path, files: dict[str, str]) -> set[tuple[str, int, str, str]]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    found = await run_checklist(root, use_bandit=False)
    return {(f.file, f.line, f.rule_id, f.severity) for f in found}


LOGINS = """\
const express = require('express');
const app = express();
app.post('/login', (req, res) => res.json(check(req.body.username, req.body.password)));
app.post('/admin/login', (req, res) => res.json(check(req.body.username, req.body.password)));
module.exports = app;
"""


@pytest.mark.anyio
async def test_no_limiter_anywhere_is_one_medium_finding_for_the_project(tmp_path: Path) -> None:
    found = await scan(tmp_path, {"app.js": LOGINS})
    assert [f for f in found if f[2] == "missing-rate-limit"] == [
        ("app.js", 3, "missing-rate-limit", "medium")
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "limiter",
    [
        {"limit.js": "const rateLimit = require('express-rate-limit');\nmodule.exports = rateLimit({});\n"},
        {"deploy/nginx.conf": "limit_req_zone $binary_remote_addr zone=login:10m rate=5r/m;\n"},
    ],
)
async def test_a_limiter_elsewhere_in_the_project_counts(tmp_path: Path, limiter: dict[str, str]) -> None:
    found = await scan(tmp_path, {"app.js": LOGINS, **limiter})
    assert not [f for f in found if f[2] == "missing-rate-limit"]


@pytest.mark.anyio
async def test_a_login_route_that_takes_no_credentials_needs_no_limit(tmp_path: Path) -> None:
    src = (
        "from typing import Annotated\nfrom fastapi import APIRouter, Depends\nfrom app.deps import current\n"
        "router = APIRouter()\n\n\n@router.post('/login/test-token')\n"
        "def test_token(user: Annotated[dict, Depends(current)]):\n    return user\n"
    )
    assert not [f for f in await scan(tmp_path, {"app/login.py": src}) if f[2] == "missing-rate-limit"]


CONSTANTS = """\
const tokenTypes = { RESET_PASSWORD: 'resetPassword', VERIFY_EMAIL: 'verifyEmail' };
const PASSWORD_FIELD = 'password';
const cookieSecret = 'kitten-keyboard-42';
module.exports = { tokenTypes, PASSWORD_FIELD, cookieSecret };
"""


@pytest.mark.anyio
async def test_labels_are_not_secrets_and_literals_are(tmp_path: Path) -> None:
    placeholders = 'url = url.set(password="test")\nadmin = dict(user="admin", password="changeme")\n'
    found = await scan(
        tmp_path,
        {"src/tokens.js": CONSTANTS, "settings.py": 'SESSION_KEY = "MYAPP"\n', "provision.py": placeholders},
    )
    assert {(f, line, rule) for f, line, rule, sev in found if sev == "high"} == {
        ("src/tokens.js", 3, "hardcoded-secret"),
        ("settings.py", 1, "hardcoded-secret"),  # an all-caps value is still a literal
    }


@pytest.mark.anyio
async def test_vendored_and_minified_assets_are_not_read(tmp_path: Path) -> None:
    bundle = "var e={DATA_API_KEY:'.data-api',apiSecret:'a8f3c2e9d7b1'};" * 40 + "\n"
    banner = (
        "/*! jquery v3.7.1 | (c) OpenJS Foundation | jquery.org/license */\nvar apiKey = 'b7e2a9c4d1f0';\n"
    )
    found = await scan(
        tmp_path, {"static/js/app.min.js": bundle, "static/js/jquery.js": banner, "vendor/lib.js": banner}
    )
    assert found == set()


@pytest.mark.anyio
async def test_throwaway_database_urls_are_review_items(tmp_path: Path) -> None:
    url = "postgresql://postgres:postgres@localhost/postgres"
    found = await scan(
        tmp_path,
        {
            ".github/workflows/ci.yml": f"env:\n  DATABASE_URL: {url}\n",
            "docker-compose.yml": "services:\n  api:\n    environment:\n      DB: postgresql://app:s3cr3tpw@db:5432/app\n",
        },
    )
    assert found and all(sev != "high" for _, _, _, sev in found)


SQL_FROM_CONSTANTS = """\
def migrate(cur, sql, name):
    for table in ("users", "orders"):
        cur.execute("DELETE FROM %s WHERE stale = 1" % table)
    cur.execute("SELECT * FROM users WHERE name = '" + sql.escape(name) + "'")
"""


@pytest.mark.anyio
async def test_sql_built_from_constants_or_escaped_values_is_not_injection(tmp_path: Path) -> None:
    assert await scan(tmp_path, {"db.py": SQL_FROM_CONSTANTS}) == set()


SQL_FROM_A_CALLER = """\
def drop(cur, table):
    cur.execute(f"DROP TABLE {table}")
def find(cur, name):
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
def lookup(conn, table, key):
    query = "SELECT * FROM %s WHERE id = ?" % table
    return conn.execute(query, (key,))
def by_table(conn, table):
    return lookup(conn, table, 1)
def dump(conn):
    cur = conn.cursor()
    cur.execute("SELECT name FROM sqlite_master")
    for (name,) in cur.fetchall():
        cur.execute(f"SELECT * FROM {name} WHERE 1 = 1")
"""

SQL_FROM_A_CALLER_JS = """\
const express = require('express');
const app = express();
function drop(db, table) { return db.query(`DROP TABLE ${table}`); }
function find(db, name) { return db.query(`SELECT * FROM users WHERE name = '${name}'`); }
app.post('/tables', (req, res) => res.json(db.query(`DROP TABLE ${req.body.table}`)));
module.exports = { app, drop, find };
"""


@pytest.mark.anyio
async def test_sql_from_a_caller_is_high_unless_it_names_a_table_or_binds_its_values(
    tmp_path: Path,
) -> None:
    found = await scan(tmp_path, {"db.py": SQL_FROM_A_CALLER, "db.js": SQL_FROM_A_CALLER_JS})
    assert {(f, line, sev) for f, line, rule, sev in found if rule == "sql-injection"} == {
        ("db.py", 2, "medium"),  # a schema statement: only a name can go there
        ("db.py", 4, "high"),
        ("db.py", 7, "medium"),  # the values are bound beside it
        ("db.py", 9, "medium"),  # ... and stay so when the table comes from further up
        ("db.js", 3, "medium"),
        ("db.js", 4, "high"),
        ("db.js", 5, "high"),  # from the request, a schema statement is no excuse
    }


@pytest.mark.anyio
async def test_node_code_execution_sinks_follow_the_request(tmp_path: Path) -> None:
    src = (
        "const { exec } = require('child_process');\n"
        "const vm = require('vm');\n"
        "function run(req, res) {\n"
        "  exec('ping ' + req.body.host);\n"
        "  vm.runInNewContext(req.query.code);\n"
        "  exec('uptime');\n"
        "  return new Function(req.body.src);\n"
        "}\nmodule.exports = run;\n"
    )
    found = {(line, rule, sev) for _, line, rule, sev in await scan(tmp_path, {"tools.js": src})}
    assert found == {
        (4, "command-injection", "high"),
        (5, "code-injection", "high"),
        (7, "code-injection", "high"),
    }


@pytest.mark.anyio
async def test_a_helper_that_runs_a_shell_is_reported_where_request_data_is_passed_to_it(
    tmp_path: Path,
) -> None:
    files = {
        "app/helpers.py": "import os\n\n\ndef run_cmd(cmd):\n    return os.popen(cmd).read()\n",
        "app/views.py": (
            "from flask import Flask, request\n\nfrom app import helpers\n\napp = Flask(__name__)\n\n\n"
            "@app.get('/debug')\ndef debug():\n    return helpers.run_cmd('ps ' + request.args['arg'])\n\n\n"
            "@app.get('/uptime')\ndef uptime():\n    return helpers.run_cmd('uptime')\n"
        ),
    }
    found = await scan(tmp_path, files)
    assert ("app/views.py", 10, "command-injection", "high") in found
    assert not [f for f in found if f[0] == "app/views.py" and f[1] == 15]


def test_verify_writes_sarif_beside_json(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.js").write_text(
        "const jwt = require('jsonwebtoken');\njwt.sign({}, 'shhh-a-literal');\n"
    )
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["true"]\n')
    init_repo(root)
    sarif = tmp_path / "out.sarif"
    done = subprocess.run(
        [sys.executable, "-m", "shopfloor", "verify", "--dir", str(root), "--json", "--sarif", str(sarif)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    results = run["results"]
    assert len(results) == len(report["findings"])
    first = next(r for r in results if r["ruleId"] == "hardcoded-jwt-secret")
    assert first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/app.js"
    assert location["region"]["startLine"] == 2
    rule = run["tool"]["driver"]["rules"][first["ruleIndex"]]
    assert rule["id"] == "hardcoded-jwt-secret"
    assert "external/cwe/cwe-798" in rule["properties"]["tags"]


def test_verify_refuses_a_sarif_path_in_a_missing_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shopfloor", "verify", "--dir", str(tmp_path), "--sarif", "/no/such/x.sarif"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip().startswith("shopfloor: cannot write SARIF to") and "Traceback" not in done.stderr
    )


@pytest.mark.anyio
async def test_flask_path_parameters_carry_request_data_unless_their_converter_confines_them(
    tmp_path: Path,
) -> None:
    files = {
        "app.py": (
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
            "@app.get('/a/<name>')\ndef a(name):\n    return open(name).read()\n\n\n"
            "@app.get('/b/<path:name>')\ndef b(name):\n    return open(name).read()\n\n\n"
            "@app.get('/c/<string(length=8):name>')\ndef c(name):\n    return open(name).read()\n\n\n"
            "@app.get('/d/<int:name>')\ndef d(name):\n    return open(str(name)).read()\n\n\n"
            "@app.get('/e/<any(about, help):name>')\ndef e(name):\n    return open(name).read()\n\n\n"
            "@app.get('/f/<uuid:name>')\ndef f(name):\n    return open(str(name)).read()\n"
        ),
    }
    found = {line for file, line, rule, _ in await scan(tmp_path, files) if rule == "path-traversal"}
    assert found == {8, 13, 18}
