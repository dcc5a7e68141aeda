"""Sessions: login, logout and the decorators that protect the other blueprints."""

import functools

from flask import Blueprint, abort, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.security import check_password_hash

from notes.db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")
limiter = Limiter(get_remote_address)


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped


def admin_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None or not g.user["is_admin"]:
            abort(403)
        return view(**kwargs)

    return wrapped


@bp.before_app_request
def load_user():
    user_id = session.get("user_id")
    g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone() if user_id else None


@bp.route("/login", methods=["POST"])
@limiter.limit("5/minute")
def login():
    username = request.form["username"]
    password = request.form["password"]
    user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
    if user is None or not check_password_hash(user["password"], password):
        abort(401)
    session["user_id"] = user["id"]
    return redirect(url_for("notes.search"))
