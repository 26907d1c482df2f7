"""`/healthz` (the process answers), `/readyz` (it can reach PostgreSQL), `/metrics`."""

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics


def register(
    app: web.Application, database_reachable: Callable[[], Awaitable[bool]], metrics: Metrics
) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        if not await database_reachable():
            return web.json_response({"ok": False, "error": "database unreachable"}, status=503)
        return web.json_response({"ok": True})

    async def exposition(_: web.Request) -> web.Response:
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", exposition)
