import os
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import User

SECRET_KEY = os.environ["SECRET_KEY"]
oauth2 = OAuth2PasswordBearer(tokenUrl="/login/access-token")
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(session: SessionDep, token: Annotated[str, Depends(oauth2)]) -> User:
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    user = session.get(User, claims["sub"])
    if user is None:
        raise HTTPException(status_code=401)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise HTTPException(status_code=403)
    return user
