"""Attachments of notes."""

import os

from flask import Blueprint, request, send_file

from notes.auth import login_required
from notes.settings import UPLOADS

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/download")
@login_required
def download():
    return send_file(os.path.join(UPLOADS, request.args["name"]))  # VULN: path-traversal
