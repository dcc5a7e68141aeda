"""Request handlers."""

import asyncio
import hashlib
import os

from aiohttp import web
from aiohttp_security import check_authorized

BASE = "/srv/clinic/reports"


@web.middleware
async def session_middleware(request, handler):
    return await handler(request)


async def read_file(request):
    await check_authorized(request)
    with open(os.path.join(BASE, request.query["name"])) as f:  # VULN: path-traversal
        return web.Response(text=f.read())


async def ping(request):
    await check_authorized(request)
    data = await request.post()
    proc = await asyncio.create_subprocess_shell("ping -c 1 " + data["host"])  # VULN: command-injection
    await proc.wait()
    return web.json_response({"code": proc.returncode})


async def login_form(request):
    return web.Response(text="login")


async def login(request):
    data = await request.post()
    digest = hashlib.sha1(data["password"].encode()).hexdigest()  # VULN: weak-password-hash
    user = await request.app["db"].user_by_name(data["username"])
    if user is None or user.digest != digest:
        raise web.HTTPUnauthorized()
    raise web.HTTPFound(request.query["next"])  # VULN: open-redirect


async def list_patients(request):
    await check_authorized(request)
    return web.json_response(await request.app["db"].all_patients())
