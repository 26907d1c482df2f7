"""Wiring: the aiohttp application that owns the pool, the Slack client and the Bolt app.

`create_web_app()` is what `incident-bot serve`, the demo and the tests all run, so they
exercise the same path: signed HTTP request → Bolt → handlers → bot/ → PostgreSQL and Slack.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

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
from bot.actions import Catalog
from bot.config import Policy, Settings, resolve_environment
from bot.domain.clock import Clock, system_clock
from bot.metrics import Metrics
from bot.outbox import Dispatcher
from bot.outbox import run_in_background as run_dispatcher
from bot.scheduler import Scheduler, run_in_background
from bot.services.alerts import AlertService
from bot.services.approvals import EXPIRY_JOB, ApprovalService
from bot.services.background import Background
from bot.services.container import Services
from bot.services.declarations import DeclarationService
from bot.services.incidents import IncidentService
from bot.services.postmortems import PostmortemService
from bot.services.reminders import Reminders
from bot.services.timeline import TimelineService
from bot.slack.alert_messages import AlertMessages
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway, build_client
from bot.slack.templates import Templates
from bot.store.db import create_pool, embedded_database_url
from bot.store.migrate import migrate

log = structlog.get_logger(__name__)

SERVICES = web.AppKey("services", Services)
BOLT = web.AppKey("bolt", AsyncApp)


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_database_url(settings.data_dir)


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
    handlers.events.register(bolt, services)
    handlers.interactions.register(bolt, services)
    return bolt


async def open_services(
    settings: Settings, policy: Policy, clock: Clock, environ: Mapping[str, str]
) -> Services:
    pool = await create_pool(
        database_url(settings),
        min_size=settings.database_pool_size,
        max_size=settings.database_pool_size,
    )
    async with pool.acquire() as conn:
        await migrate(conn)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    client = build_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        max_retries=settings.slack_max_retries,
        session=session,
    )
    gateway = SlackGateway(client, session)
    composer = Composer(Templates(policy.tz, settings.templates_dir), policy)
    metrics = Metrics()
    dispatcher = Dispatcher(
        pool,
        SlackGateway(
            build_client(
                settings.slack_bot_token.get_secret_value(),
                settings.slack_api_url,
                max_retries=0,
                session=session,
            ),
            session,
        ),
        composer,
        clock,
        metrics,
        give_up_after=policy.give_up_after,
        announce_channel=policy.announce_channel,
    )
    declarations = DeclarationService(pool, policy, composer, clock)
    dispatcher.register_all(declarations.follow_ups())
    postmortems = PostmortemService(pool, gateway, policy, composer, clock)
    background = Background()
    scheduler = Scheduler(
        pool, clock, Reminders(pool, gateway, composer, policy, clock).job_handlers()
    )
    catalog = Catalog(policy, resolve_environment(policy, environ))
    approvals = ApprovalService(pool, gateway, composer.templates, clock, catalog, background)
    scheduler.register(EXPIRY_JOB, approvals.expire)
    incidents = IncidentService(pool, gateway, policy, composer, clock, postmortems, declarations)
    return Services(
        settings=settings,
        policy=policy,
        pool=pool,
        slack=gateway,
        compose=composer,
        incidents=incidents,
        timeline=TimelineService(pool, gateway, composer, clock),
        postmortems=postmortems,
        alerts=AlertService(pool, incidents, gateway, AlertMessages(composer), policy, clock),
        metrics=metrics,
        dispatcher=dispatcher,
        clock=clock,
        background=background,
        scheduler=scheduler,
        approvals=approvals,
    )


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
    """
    app = web.Application(client_max_size=1024 * 1024)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        services = await open_services(settings, policy, clock, environ or {})
        app[SERVICES] = services
        app[BOLT] = build_bolt_app(services)
        await services.approvals.recover()
        scheduler = run_in_background(services.scheduler) if run_scheduler else None
        dispatcher = run_dispatcher(services.dispatcher)
        log.info("bot_ready", slack_api_url=settings.slack_api_url)
        yield
        dispatcher.cancel()
        await asyncio.gather(dispatcher, return_exceptions=True)
        if scheduler is not None:
            scheduler.cancel()
            await asyncio.gather(scheduler, return_exceptions=True)
        await services.background.close()
        await services.approvals.close()
        await services.slack.close()
        await services.pool.close()

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    app.cleanup_ctx.append(resources)
    if settings.uses_socket_mode:
        app.cleanup_ctx.append(_socket_mode(settings))
    app.router.add_post("/slack/events", slack_events)
    handlers.health.register(app, SERVICES)
    handlers.alerts.register(app, SERVICES)
    return app


def _socket_mode(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """Also take Slack's traffic over Socket Mode (no public Request URL needed).

    The socket client asks for its URL through Bolt's client, so `SLACK_API_URL` holds here too.
    """

    async def socket_mode(app: web.Application) -> AsyncIterator[None]:
        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        handler = AsyncSocketModeHandler(app[BOLT], token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
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
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        bound_port = runner.addresses[0][1]
        yield f"http://{host}:{bound_port}"
    finally:
        await runner.cleanup()
