"""Attachments of notes."""

from flask import Blueprint, request, send_from_directory

from notes.auth import login_required
from notes.settings import UPLOADS

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/download")
@login_required
def download():
    return send_from_directory(UPLOADS, request.args["name"])
