"""Wiring: the aiohttp application that owns the process's resources and routes to handlers.

`create_web_app()` is what `incident-bot serve`, the demo and the tests all run, so they
exercise the same path: signed HTTP request → Bolt → handlers → bot/ → PostgreSQL and Slack.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol, TypeVar

import aiohttp
import asyncpg
import structlog
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

import handlers.alerts
import handlers.commands
import handlers.events
import handlers.health
import handlers.interactions
import handlers.slack_requests
from bot.actions import Catalog, Executors, open_executors
from bot.config import Policy, Settings
from bot.domain.clock import Clock, system_clock
from bot.integrations import http_api
from bot.metrics import Metrics
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
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.socket_mode import SocketModeLink
from bot.store.availability import place_of
from bot.store.db import Pool, is_reachable, presence

log = structlog.get_logger(__name__)

T = TypeVar("T")
CleanupCtx = Callable[[web.Application], AsyncIterator[None]]

POOL = web.AppKey("pool", Pool)
SLACK_SESSION = web.AppKey("slack_session", aiohttp.ClientSession)
INTEGRATIONS_SESSION = web.AppKey("integrations_session", aiohttp.ClientSession)
EXECUTORS = web.AppKey("executors", Executors)
BACKGROUND = web.AppKey("background", Background)
SERVICES = web.AppKey("services", Services)
ALERTS = web.AppKey("alerts", AlertService)
BOLT = web.AppKey("bolt", AsyncApp)
SOCKET_MODE = web.AppKey("socket_mode", SocketModeLink)


def build_bolt_app(services: Services) -> AsyncApp:
    """The Bolt app: listeners ack first; `process_before_response` lets the ack return at once.

    Bolt gets a client of its own (it only calls auth.test): it deep-copies its client for lazy
    listeners, which a client holding the gateway's shared HTTP session cannot survive.
    """
    settings = services.settings
    bolt = AsyncApp(
        client=AsyncWebClient(base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        authorize=_authorizer(
            services.dispatcher.slack, settings.slack_bot_token.get_secret_value()
        ),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    handlers.commands.register(bolt, services)
    handlers.events.register(bolt, services.timeline, services.metrics)
    handlers.interactions.register(bolt, services)
    return bolt


def _authorizer(slack: SlackGateway, token: str) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Bolt's authorization, which never waits for Slack.

    Bolt's own asks auth.test on the first request and answers every request with an error
    while that fails, so a command typed during an outage would be lost. Here the bot's identity
    (Bolt uses it to drop the bot's own events; the timeline drops them too) is asked in the
    background until Slack answers, and requests are served meanwhile with the token alone.
    """
    asking: set[asyncio.Task[object]] = set()

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        me = slack.known_identity
        if me is None and not asking:
            task: asyncio.Task[object] = asyncio.create_task(_ask_identity(slack))
            asking.add(task)
            task.add_done_callback(asking.discard)
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or (me or {}).get("team_id"),
            bot_user_id=(me or {}).get("user_id"),
            bot_id=(me or {}).get("bot_id"),
            bot_token=token,
        )

    return authorize


async def _ask_identity(slack: SlackGateway) -> object:
    try:
        return await slack.identity()
    except SlackError as error:
        log.warning("bot_identity_unknown", error=error.error)
        return None


def create_web_app(
    settings: Settings,
    policy: Policy,
    clock: Clock = system_clock,
    *,
    run_scheduler: bool = True,
    environ: Mapping[str, str] | None = None,
    wait_for_db: timedelta = timedelta(0),
) -> web.Application:
    """The bot's HTTP application; `run_scheduler=False` leaves due jobs to explicit `run_due()`.

    `environ` holds the variables the policy's actions name (DSNs, tokens); without it every
    action that needs one is listed as unavailable. `DATABASE_URL` is waited for up to
    `wait_for_db` before start-up gives up (CannotStart).

    Each resource is opened by a `cleanup_ctx` of its own, in this order, and closed in the
    reverse one; when one fails to start, aiohttp closes those opened before it.
    """
    app = web.Application(client_max_size=1024 * 1024)
    metrics = Metrics()
    catalog = action_catalog(policy, environ or {})
    app.cleanup_ctx.extend(
        [
            _holding(POOL, lambda: open_pool(settings, wait=wait_for_db)),
            _migrations,
            _holding(SLACK_SESSION, open_slack_session),
            _holding(INTEGRATIONS_SESSION, http_api.open_session),
            _holding(EXECUTORS, lambda: open_executors(catalog)),
            _background,
            _services(settings, policy, clock, catalog, metrics),
            _recovery,
            _reviews,
            _presence,
            # Every replica delivers effects and runs recorded requests, scheduler or not.
            _looping("outbox-dispatcher", lambda services: services.dispatcher),
            _looping("inbox", lambda services: services.inbox),
        ]
    )
    if run_scheduler:
        app.cleanup_ctx.append(_looping("scheduler", lambda services: services.scheduler))
    if settings.uses_socket_mode:
        app.cleanup_ctx.append(_socket_mode(settings))
    app.on_startup.append(_ready)

    async def database_reachable() -> bool:
        return await is_reachable(app[POOL])

    handlers.slack_requests.register(app, BOLT, settings.slack_signing_secret.get_secret_value())

    def slack_connectivity() -> str:
        link = app.get(SOCKET_MODE)
        return link.state if link is not None else "http"

    handlers.health.register(app, database_reachable, metrics, slack_connectivity)
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
        opened = Resources(
            app[POOL],
            app[SLACK_SESSION],
            app[EXECUTORS],
            app[BACKGROUND],
            metrics,
            app[INTEGRATIONS_SESSION],
        )
        app[SERVICES] = services = build_services(settings, policy, clock, catalog, opened)
        app[ALERTS] = services.alerts
        app[BOLT] = build_bolt_app(services)
        services.compose.templates.check()  # compiled now, not while a first request waits
        yield

    return build


async def _recovery(app: web.Application) -> AsyncIterator[None]:
    """Requests a dead replica left running are marked `unknown` before any click is served."""
    await app[SERVICES].approvals.recover()
    yield


async def _reviews(app: web.Application) -> AsyncIterator[None]:
    """The next weekly review is armed (once across replicas: its job key names its time)."""
    await app[SERVICES].figures.arm_review()
    yield


async def _presence(app: web.Application) -> AsyncIterator[None]:
    """This replica's presence: what it claims is taken over at once if it dies."""
    services = app[SERVICES]
    async with presence(app[POOL]) as pid:
        services.dispatcher.owner = services.inbox.owner = pid
        yield
        services.dispatcher.owner = services.inbox.owner = None


class Loop(Protocol):
    async def run_forever(self) -> None: ...


def _looping(name: str, loop_of: Callable[[Services], Loop]) -> CleanupCtx:
    """A replica's loop (the dispatcher, the inbox's sweep, the scheduler) for the app's life.

    A loop that stops on a database or network error is logged and started again after a
    second: PostgreSQL coming back needs no restart.
    """

    async def supervise(loop: Loop) -> None:
        while True:
            try:
                await loop.run_forever()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.exception("loop_crashed", loop=name)
                await asyncio.sleep(1)

    async def running_loop(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(supervise(loop_of(app[SERVICES])), name=name)
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return running_loop


async def _ready(app: web.Application) -> None:
    """The one line saying the bot is up, and what it runs as: port, mode, database, version."""
    settings = app[SERVICES].settings
    log.info(
        "bot_ready",
        port=settings.port,
        mode="socket" if settings.uses_socket_mode else "http",
        database=(
            str(place_of(settings.database_url.get_secret_value()))
            if settings.database_url is not None
            else "embedded"
        ),
        version=_version(),
        slack_api_url=settings.slack_api_url,
    )


def _version() -> str:
    try:
        return version("incident-bot")
    except PackageNotFoundError:
        return "unknown"


def _socket_mode(settings: Settings) -> CleanupCtx:
    """Also take Slack's traffic over Socket Mode (no public Request URL needed).

    The socket connects in the background, retried with backoff until Slack answers: the HTTP
    routes (`/healthz`, `/readyz`, `/metrics`, the alert webhooks) serve whatever Slack's state.
    The socket client asks for its URL through Bolt's client, so `SLACK_API_URL` holds here too.
    """

    async def socket_mode(app: web.Application) -> AsyncIterator[None]:
        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        app[SOCKET_MODE] = link = SocketModeLink(app[BOLT], token)
        running = asyncio.create_task(link.run(), name="socket-mode-link")
        yield
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

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
