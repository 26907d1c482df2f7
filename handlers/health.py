"""`/healthz` (the process answers), `/readyz` (it can reach PostgreSQL), `/metrics`."""

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.services.container import Services


def register(app: web.Application, services_key: web.AppKey[Services]) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        if not await request.app[services_key].database_reachable():
            return web.json_response({"ok": False, "error": "database unreachable"}, status=503)
        return web.json_response({"ok": True})

    async def metrics(request: web.Request) -> web.Response:
        body = request.app[services_key].metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
