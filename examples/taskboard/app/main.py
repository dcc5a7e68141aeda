"""The application: every module in app.routers that defines `router` is mounted here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from app import db, routers


def discover_routers() -> list[APIRouter]:
    """The `router` of each module in app.routers, in module name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(routers.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routers.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    conn = db.connect()
    try:
        db.init_schema(conn)
    finally:
        conn.close()
    yield


def create_app() -> FastAPI:
    app = FastAPI(title="Taskboard", version="0.1.0", lifespan=lifespan)
    for router in discover_routers():
        app.include_router(router)
    return app


app = create_app()
