"""Request handlers."""

import asyncio
import ipaddress
from pathlib import Path

from aiohttp import web
from aiohttp_ratelimiter import RateLimiter
from aiohttp_security import check_authorized, check_permission
from argon2 import PasswordHasher

BASE = Path("/srv/clinic/reports")
limiter = RateLimiter(max_calls=5, period=60)
hasher = PasswordHasher()


@web.middleware
async def session_middleware(request, handler):
    return await handler(request)


async def read_file(request):
    await check_authorized(request)
    path = (BASE / Path(request.query["name"]).name).resolve()
    if path.parent != BASE:
        raise web.HTTPNotFound()
    return web.Response(text=path.read_text())


async def ping(request):
    await check_authorized(request)
    data = await request.post()
    host = str(ipaddress.ip_address(data["host"]))
    proc = await asyncio.create_subprocess_exec("ping", "-c", "1", host)
    await proc.wait()
    return web.json_response({"code": proc.returncode})


async def login_form(request):
    return web.Response(text="login")


async def login(request):
    data = await request.post()
    user = await request.app["db"].user_by_name(data["username"])
    if user is None or not hasher.verify(user.digest, data["password"]):
        raise web.HTTPUnauthorized()
    raise web.HTTPFound("/appointments")


async def list_patients(request):
    await check_permission(request, "admin")
    return web.json_response(await request.app["db"].all_patients())
