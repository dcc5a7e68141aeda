"""Liveness and database reachability, for load balancers and uptime checks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.db import Db

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/health")
def health(conn: Db) -> Health:
    conn.execute("SELECT 1").fetchone()
    return Health(status="ok", database="ok")
