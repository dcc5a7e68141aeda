import httpx
from fastapi import APIRouter
from sqlalchemy import text

from app.deps import CurrentUser, SessionDep

router = APIRouter()


@router.get("/search")
def search(q: str, session: SessionDep, user: CurrentUser) -> list[str]:
    rows = session.execute(text(f"SELECT title FROM items WHERE title = '{q}'"))  # VULN: sql-injection
    return [r.title for r in rows]


@router.get("/preview")
def preview(url: str, user: CurrentUser) -> str:
    return httpx.get(url).text  # VULN: ssrf
