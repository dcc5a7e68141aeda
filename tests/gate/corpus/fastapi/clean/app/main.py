from fastapi import Depends, FastAPI
from slowapi import Limiter
from slowapi.util import get_remote_address

from app.deps import get_current_superuser
from app.routes import admin, items, login, users

app = FastAPI()
app.state.limiter = Limiter(key_func=get_remote_address, default_limits=["20/minute"])
app.include_router(login.router)
app.include_router(items.router, prefix="/items")
app.include_router(users.router, prefix="/users")
app.include_router(admin.router, prefix="/admin", dependencies=[Depends(get_current_superuser)])
