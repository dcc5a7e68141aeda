"""A small notes service: members keep notes and a profile; admins see every account."""

from flask import Flask

from notes import admin, auth, files, notes


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "dev-only-key"  # VULN: hardcoded-secret
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(admin.bp)
    return app
