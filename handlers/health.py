"""`/healthz` (the process answers), `/readyz` (it can reach PostgreSQL), `/metrics`.

`/readyz` is 200 or 503 on PostgreSQL alone: a replica that can record what Slack sends is
ready. Slack's side is a field, `slack`: `http` (Slack calls the Request URL), or over Socket
Mode `socket_connected` / `socket_connecting`.
"""

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics


def register(
    app: web.Application,
    database_reachable: Callable[[], Awaitable[bool]],
    metrics: Metrics,
    slack_connectivity: Callable[[], str],
) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        slack = slack_connectivity()
        if not await database_reachable():
            return web.json_response(
                {"ok": False, "error": "database unreachable", "slack": slack}, status=503
            )
        return web.json_response({"ok": True, "slack": slack})

    async def exposition(_: web.Request) -> web.Response:
        await metrics.refresh()
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", exposition)
