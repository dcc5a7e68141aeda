"""A clinic's appointment service on aiohttp."""

import aiohttp_jinja2
import jinja2
from aiohttp import web

from clinic import handlers


def create_app() -> web.Application:
    app = web.Application(middlewares=[handlers.session_middleware])
    aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("clinic"), autoescape=False)  # VULN: xss
    app.router.add_route("GET", "/files", handlers.read_file)
    app.router.add_post("/ping", handlers.ping)
    app.router.add_get("/login", handlers.login_form)
    app.router.add_post("/login", handlers.login)
    app.router.add_get("/admin/patients", handlers.list_patients)  # VULN: missing-admin-check
    return app
