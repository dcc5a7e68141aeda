from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import CurrentUser, SessionDep
from app.security import authenticate, make_token

router = APIRouter()


@router.post("/login/access-token")
def access_token(
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, str]:
    user = authenticate(session, form.username, form.password)
    if user is None:
        raise HTTPException(status_code=400)
    return {"access_token": make_token(user.id)}


@router.post("/login/test-token")
def test_token(user: CurrentUser) -> dict[str, int]:
    return {"id": user.id}
