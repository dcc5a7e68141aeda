"""Notes and profiles of the signed-in member."""

import base64
import pickle
import subprocess

import yaml
from flask import Blueprint, abort, g, render_template_string, request
from sqlalchemy import text

from notes.auth import login_required
from notes.db import get_db, session_factory

bp = Blueprint("notes", __name__, url_prefix="/notes")


@bp.before_request
def require_login():
    if g.user is None:
        abort(401)


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    with session_factory() as db:
        rows = db.execute(text("title = '%s'" % q))  # noqa: UP031  VULN: sql-injection
        return {"titles": [r.title for r in rows]}


@bp.post("/profile/<int:user_id>/email")
@login_required
def change_email(user_id):
    if not request.is_json:
        abort(403)  # a 403 for another reason is not an owner check
    profile = get_db().execute("SELECT * FROM profile WHERE user_id = ?", (user_id,)).fetchone()  # VULN: idor
    get_db().execute("UPDATE profile SET email = ? WHERE id = ?", (request.json["email"], profile["id"]))
    return {"ok": True}


@bp.route("/profile/<int:profile_id>", methods=["GET", "POST"])
@login_required
def profile(profile_id):
    db = get_db()
    if request.method == "POST":
        row = db.execute("SELECT * FROM profile WHERE id = ?", (request.form["id"],)).fetchone()  # VULN: idor
        db.execute("UPDATE profile SET bio = ? WHERE id = ?", (request.form["bio"], row["id"]))
        return {"ok": True}
    row = db.execute("SELECT * FROM profile WHERE id = ?", (profile_id,)).fetchone()
    if row["user_id"] != g.user["id"]:
        abort(404)
    return dict(row)


@bp.post("/export")
def export():
    data = request.json
    done = subprocess.run(data["command"], shell=True, capture_output=True)  # VULN: command-injection
    return {"out": done.stdout}


@bp.post("/import")
def import_notes():
    notes = yaml.load(request.data, Loader=yaml.Loader)  # VULN: unsafe-deserialization
    return {"count": len(notes)}


@bp.get("/prefs")
def prefs():
    blob = base64.b64decode(request.cookies["prefs"])
    return pickle.loads(blob)  # VULN: unsafe-deserialization


@bp.get("/hello")
def hello():
    return render_template_string("<h1>Hello " + request.args["name"] + "</h1>")  # VULN: template-injection
