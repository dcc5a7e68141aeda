from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from app.deps import CurrentUser, SessionDep
from app.models import User

router = APIRouter()


class EmailChange(BaseModel):
    email: str


@router.patch("/{user_id}/email")
def change_email(user_id: int, body: EmailChange, session: SessionDep, user: CurrentUser) -> dict[str, str]:
    if user_id != user.id and not user.is_superuser:
        raise HTTPException(status_code=403)
    target = session.get(User, user_id)
    target.email = body.email
    session.commit()
    return {"email": target.email}
