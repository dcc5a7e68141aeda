from fastapi import APIRouter

from app.deps import SessionDep
from app.models import User

router = APIRouter()


@router.get("/users")
def list_users(session: SessionDep) -> list[str]:
    return [u.email for u in session.query(User).all()]
