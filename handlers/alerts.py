"""`POST /alerts/alertmanager|grafana|generic`: alerts from the monitoring stack.

Thin: check the Bearer token, read at most 1 MiB, parse into `Alert`s, store them with the
Slack effects they cause (one transaction, before answering), answer 202 `{"stored": n}`; the
outbox delivers the rest. Refusals are JSON: 401 without the right token, 413 for a body over
1 MiB, 400 naming the field that does not fit.
"""

import hmac
from dataclasses import dataclass
from functools import partial

import structlog
from aiohttp import web
from pydantic import SecretStr

from bot.domain.alerts import SOURCES, InvalidAlert, Source, parse_alerts
from bot.services.alerts import AlertService

log = structlog.get_logger(__name__)

MAX_BODY = 1024 * 1024


def _refusal(status: int, error: str, **extra: str) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": error, **extra}, status=status, headers=headers)


def _is_authorised(request: web.Request, token: SecretStr | None) -> bool:
    """Whether the request carries `Authorization: Bearer <ALERT_WEBHOOK_TOKEN>`.

    Compared in constant time; with no token configured nothing is let in.
    """
    if token is None or not token.get_secret_value():
        log.warning(
            "alert_refused", reason="ALERT_WEBHOOK_TOKEN is not set: every alert is refused"
        )
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        log.warning("alert_refused", reason="missing or wrong bearer token")
        return False
    return True


async def _read(request: web.Request) -> bytes | None:
    """The body, or None when it is over 1 MiB (declared or actual)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None
    return body if len(body) <= MAX_BODY else None


@dataclass(frozen=True)
class AlertRoute:
    """What one `/alerts/<source>` route uses. The services are app keys, looked up per request:
    the app builds them at start-up, after its routes are set."""

    source: Source
    token: SecretStr | None
    alerts: web.AppKey[AlertService]


async def receive(route: AlertRoute, request: web.Request) -> web.Response:
    with structlog.contextvars.bound_contextvars(alert_source=route.source):
        if not _is_authorised(request, route.token):
            return _refusal(401, "unauthorized: send Authorization: Bearer <ALERT_WEBHOOK_TOKEN>")
        body = await _read(request)
        if body is None:
            return _refusal(413, f"the body is over {MAX_BODY} bytes")
        try:
            received = parse_alerts(route.source, body)
        except InvalidAlert as invalid:
            log.info("alert_rejected", field=invalid.field, problem=invalid.problem)
            return _refusal(400, str(invalid), field=invalid.field)
        receipt = await request.app[route.alerts].receive(received)
    return web.json_response({"stored": receipt.stored}, status=202)


def register(
    app: web.Application,
    token: SecretStr | None,
    alerts: web.AppKey[AlertService],
) -> None:
    for source in SOURCES:
        route = AlertRoute(source, token, alerts)
        app.router.add_post(f"/alerts/{source}", partial(receive, route))
