"""Wiring: the aiohttp application that owns the process's resources and routes to handlers.

`create_web_app()` is what `incident-bot serve`, the demo and the tests all run, so they
exercise the same path: signed HTTP request → Bolt → handlers → bot/ → PostgreSQL and Slack.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

import aiohttp
import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

import handlers.alerts
import handlers.commands
import handlers.events
import handlers.health
import handlers.interactions
from bot.actions import Catalog, Executors, open_executors
from bot.config import Policy, Settings
from bot.domain.clock import Clock, system_clock
from bot.metrics import Metrics
from bot.outbox import run_in_background as run_dispatcher
from bot.scheduler import run_in_background
from bot.services.alerts import AlertService
from bot.services.background import Background
from bot.services.container import (
    Resources,
    Services,
    action_catalog,
    apply_migrations,
    build_services,
    open_pool,
    open_slack_session,
)
from bot.store.db import Pool, is_reachable

log = structlog.get_logger(__name__)

T = TypeVar("T")
CleanupCtx = Callable[[web.Application], AsyncIterator[None]]

POOL = web.AppKey("pool", Pool)
SLACK_SESSION = web.AppKey("slack_session", aiohttp.ClientSession)
EXECUTORS = web.AppKey("executors", Executors)
BACKGROUND = web.AppKey("background", Background)
SERVICES = web.AppKey("services", Services)
ALERTS = web.AppKey("alerts", AlertService)
BOLT = web.AppKey("bolt", AsyncApp)


def build_bolt_app(services: Services) -> AsyncApp:
    """The Bolt app: listeners ack first; `process_before_response` lets the ack return at once.

    Bolt gets a client of its own (it only calls auth.test): it deep-copies its client for lazy
    listeners, which a client holding the gateway's shared HTTP session cannot survive.
    """
    settings = services.settings
    bolt = AsyncApp(
        client=AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        ),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    handlers.commands.register(bolt, services)
    handlers.events.register(bolt, services.timeline, services.metrics)
    handlers.interactions.register(bolt, services)
    return bolt


def create_web_app(
    settings: Settings,
    policy: Policy,
    clock: Clock = system_clock,
    *,
    run_scheduler: bool = True,
    environ: Mapping[str, str] | None = None,
) -> web.Application:
    """The bot's HTTP application; `run_scheduler=False` leaves due jobs to explicit `run_due()`.

    `environ` holds the variables the policy's actions name (DSNs, tokens); without it every
    action that needs one is listed as unavailable.

    Each resource is opened by a `cleanup_ctx` of its own, in this order, and closed in the
    reverse one; when one fails to start, aiohttp closes those opened before it.
    """
    app = web.Application(client_max_size=1024 * 1024)
    metrics = Metrics()
    catalog = action_catalog(policy, environ or {})
    app.cleanup_ctx.extend(
        [
            _holding(POOL, lambda: open_pool(settings)),
            _migrations,
            _holding(SLACK_SESSION, open_slack_session),
            _holding(EXECUTORS, lambda: open_executors(catalog)),
            _background,
            _services(settings, policy, clock, catalog, metrics),
            _recovery,
            _dispatcher,
        ]
    )
    if run_scheduler:
        app.cleanup_ctx.append(_scheduler)
    if settings.uses_socket_mode:
        app.cleanup_ctx.append(_socket_mode(settings))
    app.on_startup.append(_ready)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def database_reachable() -> bool:
        return await is_reachable(app[POOL])

    app.router.add_post("/slack/events", slack_events)
    handlers.health.register(app, database_reachable, metrics)
    handlers.alerts.register(app, settings.alert_webhook_token, ALERTS)
    return app


def _holding(key: web.AppKey[T], open_: Callable[[], AbstractAsyncContextManager[T]]) -> CleanupCtx:
    """A cleanup_ctx that keeps one resource under `key` while the app runs."""

    async def hold(app: web.Application) -> AsyncIterator[None]:
        async with open_() as resource:
            app[key] = resource
            yield

    return hold


async def _migrations(app: web.Application) -> AsyncIterator[None]:
    await apply_migrations(app[POOL])
    yield


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Work started after an ack; at shutdown it may finish (briefly) before what it uses closes."""
    app[BACKGROUND] = background = Background()
    yield
    await background.close()


def _services(
    settings: Settings, policy: Policy, clock: Clock, catalog: Catalog, metrics: Metrics
) -> CleanupCtx:
    async def build(app: web.Application) -> AsyncIterator[None]:
        opened = Resources(app[POOL], app[SLACK_SESSION], app[EXECUTORS], app[BACKGROUND], metrics)
        app[SERVICES] = services = build_services(settings, policy, clock, catalog, opened)
        app[ALERTS] = services.alerts
        app[BOLT] = build_bolt_app(services)
        yield

    return build


async def _recovery(app: web.Application) -> AsyncIterator[None]:
    """Requests a dead replica left running are marked `unknown` before any click is served."""
    await app[SERVICES].approvals.recover()
    yield


async def _dispatcher(app: web.Application) -> AsyncIterator[None]:
    """Recorded effects are delivered by every replica, whatever the scheduler's setting."""
    task = run_dispatcher(app[SERVICES].dispatcher)
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    task = run_in_background(app[SERVICES].scheduler)
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _ready(app: web.Application) -> None:
    log.info("bot_ready", slack_api_url=app[SERVICES].settings.slack_api_url)


def _socket_mode(settings: Settings) -> CleanupCtx:
    """Also take Slack's traffic over Socket Mode (no public Request URL needed).

    The socket client asks for its URL through Bolt's client, so `SLACK_API_URL` holds here too.
    """

    async def socket_mode(app: web.Application) -> AsyncIterator[None]:
        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        handler = AsyncSocketModeHandler(app[BOLT], token)
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
        except BaseException:  # stopped while still connecting: let go of its socket and session
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise
        log.info("socket_mode_connected")
        yield
        await handler.close_async()  # type: ignore[no-untyped-call]

    return socket_mode


@asynccontextmanager
async def running(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve `app` in this event loop and yield its base URL (port 0 picks a free port)."""
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()  # a start-up that fails has its opened resources closed below
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield f"http://{host}:{bound_port}"
    finally:
        await runner.cleanup()
