"""Socket Mode, as Slack runs it: `apps.connections.open` with the app-level token hands out a
WebSocket URL; Slack sends a `hello`, then envelopes (`slash_commands`, `events_api`,
`interactive`), and the app acknowledges each by its `envelope_id`, optionally with a payload.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]
ACK_TIMEOUT = 3.0
"""Slack waits three seconds for an envelope's acknowledgement."""


class SocketModeServer:
    def __init__(self, app_token: str, app_id: str) -> None:
        self.app_token = app_token
        self.app_id = app_id
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JSON]] = {}
        self.connected = asyncio.Event()
        self.refusing = False
        """While True, the WebSocket handshake is answered 503 (`apps.connections.open` still
        hands out URLs): a client then fails on the socket, not on the Web API."""

    def route(self, app: web.Application) -> None:
        app.router.add_get("/socket-mode/{ticket}", self._connect)

    def open_connection(self, token: str | None, base_url: str) -> tuple[int, JSON]:
        """`apps.connections.open`: only the app-level token may open a connection."""
        if token != self.app_token:
            return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        ws_url = base_url.replace("http://", "ws://", 1)
        return 200, {"ok": True, "url": f"{ws_url}/socket-mode/{secrets.token_hex(8)}"}

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        if self.refusing:
            raise web.HTTPServiceUnavailable
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "standin"},
            }
        )
        self._sockets.append(socket)
        self.connected.set()
        try:
            async for message in socket:
                if message.type is WSMsgType.TEXT:
                    self._acknowledged(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
            if not self._sockets:
                self.connected.clear()
        return socket

    def _acknowledged(self, ack: JSON) -> None:
        waiting = self._acks.get(str(ack.get("envelope_id")))
        if waiting is not None and not waiting.done():
            waiting.set_result(ack.get("payload") or {})

    async def send(self, kind: str, payload: JSON) -> JSON | None:
        """Deliver one envelope to a connected app; its ack's payload, or None if none came."""
        if not self._sockets:
            raise RuntimeError("no app is connected over Socket Mode")
        envelope_id = secrets.token_hex(12)
        waiting: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        try:
            await self._sockets[-1].send_json(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": 0,
                }
            )
            return await asyncio.wait_for(waiting, ACK_TIMEOUT)
        except TimeoutError:
            return None
        finally:
            del self._acks[envelope_id]

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
