"""What admins see."""

from flask import Blueprint

from notes.auth import login_required
from notes.db import get_db

bp = Blueprint("admin", __name__)


@bp.get("/admin/users")  # VULN: missing-admin-check
@login_required
def users():
    return {"users": [dict(r) for r in get_db().execute("SELECT id, username FROM user")]}


@bp.get("/internal/stats")  # VULN: missing-auth
def stats():
    return {"users": get_db().execute("SELECT COUNT(*) FROM user").fetchone()[0]}
