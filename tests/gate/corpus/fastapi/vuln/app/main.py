from fastapi import Depends, FastAPI

from app.deps import get_current_user
from app.routes import admin, items, login, users

app = FastAPI()
app.include_router(login.router)
app.include_router(items.router, prefix="/items")
app.include_router(users.router, prefix="/users")
app.include_router(admin.router, prefix="/admin", dependencies=[Depends(get_current_user)])
