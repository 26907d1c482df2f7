"""What a request meets while Slack is down: a server error, or a connection that drops.

Slack's outages show up to a client in two ways: the edge answers HTTP 5xx with a JSON error,
or the connection is reset with no answer at all. The second is the harder one for a bot that
must post exactly once: it cannot tell whether the request was acted on, so it has to look.
"""

from __future__ import annotations

import socket
import struct

from aiohttp import web

from bot.demo.standin.params import ApiError
from bot.demo.standin.state import JSON

UNAVAILABLE_STATUS = 503


def unavailable_body() -> JSON:
    """The body Slack's Web API answers with its HTTP 503: ``service_unavailable``."""
    return ApiError("service_unavailable").body()


def drop_connection(request: web.Request) -> web.Response:
    """Reset the request's connection (RST, not FIN) so the client sees ECONNRESET.

    The returned response is never sent; aiohttp needs one to finish the handler.
    """
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=UNAVAILABLE_STATUS)
