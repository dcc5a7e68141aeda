from fastapi import APIRouter
from pydantic import BaseModel

from app.deps import CurrentUser, SessionDep
from app.models import User

router = APIRouter()


class EmailChange(BaseModel):
    email: str


@router.patch("/{user_id}/email")
def change_email(user_id: int, body: EmailChange, session: SessionDep, user: CurrentUser) -> dict[str, str]:
    target = session.get(User, user_id)  # VULN: idor
    target.email = body.email
    session.commit()
    return {"email": target.email}
