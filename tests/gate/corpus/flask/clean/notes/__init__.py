"""A small notes service: members keep notes and a profile; admins see every account."""

import os

from flask import Flask

from notes import admin, auth, files, notes


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["NOTES_SECRET_KEY"]
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(admin.bp)
    auth.limiter.init_app(app)
    return app
