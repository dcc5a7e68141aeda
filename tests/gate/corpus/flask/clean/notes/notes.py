"""Notes and profiles of the signed-in member."""

import json
import shlex
import subprocess

import yaml
from flask import Blueprint, abort, g, render_template, request
from sqlalchemy import text

from notes.auth import login_required
from notes.db import get_db, session_factory

bp = Blueprint("notes", __name__, url_prefix="/notes")
EXPORTERS = {"csv": "notes-export --csv", "json": "notes-export --json"}


@bp.before_request
def require_login():
    if g.user is None:
        abort(401)


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    with session_factory() as db:
        rows = db.execute(text("title = :q").bindparams(q=q))
        return {"titles": [r.title for r in rows]}


@bp.post("/profile/<int:user_id>/email")
@login_required
def change_email(user_id):
    if user_id != g.user["id"]:
        abort(403)
    profile = get_db().execute("SELECT * FROM profile WHERE user_id = ?", (user_id,)).fetchone()
    get_db().execute("UPDATE profile SET email = ? WHERE id = ?", (request.json["email"], profile["id"]))
    return {"ok": True}


@bp.route("/profile/<int:profile_id>", methods=["GET", "POST"])
@login_required
def profile(profile_id):
    db = get_db()
    row = db.execute("SELECT * FROM profile WHERE id = ?", (profile_id,)).fetchone()
    if row is None or row["user_id"] != g.user["id"]:
        abort(404)
    if request.method == "POST":
        db.execute("UPDATE profile SET bio = ? WHERE id = ?", (request.form["bio"], row["id"]))
        return {"ok": True}
    return dict(row)


@bp.post("/export")
def export():
    data = request.json
    command = EXPORTERS[data["format"]]
    done = subprocess.run(shlex.split(command), capture_output=True, text=True)
    return {"out": done.stdout}


@bp.post("/import")
def import_notes():
    notes = yaml.safe_load(request.data)
    return {"count": len(notes)}


@bp.get("/prefs")
def prefs():
    return json.loads(request.cookies.get("prefs", "{}"))


@bp.get("/hello")
def hello():
    return render_template("hello.html", name=request.args["name"])
