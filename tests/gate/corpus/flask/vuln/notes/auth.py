"""Sessions: login, logout and the decorators that protect the other blueprints."""

import functools
from hashlib import md5

from flask import Blueprint, abort, g, redirect, request, session, url_for

from notes.db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped


@bp.before_app_request
def load_user():
    user_id = session.get("user_id")
    g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone() if user_id else None


@bp.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]  # VULN(medium): missing-rate-limit
    user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
    if user is None or user["password"] != md5(password.encode()).hexdigest():  # VULN: weak-password-hash
        abort(401)
    session["user_id"] = user["id"]
    return redirect(request.args.get("next"))  # VULN: open-redirect
