"""The process's long-lived parts: the resources it opens and the services built on them.

Each resource has one opener here, an async context manager that also closes it. The web app
(`bot/app.py`) enters each in an aiohttp `cleanup_ctx` of its own, so a failure while starting
releases what was opened before it; `open_services` enters them all in one block, for a command
or a test that needs a whole replica of the bot without serving HTTP.
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aiohttp

from bot.actions import Catalog, Executors, open_executors
from bot.config import Policy, Settings, resolve_environment
from bot.domain.clock import Clock
from bot.errors import CannotStart
from bot.inbox import Inbox
from bot.integrations import http_api, statuspage
from bot.integrations.exports import export_deliverers
from bot.integrations.pagerduty import PagerDuty
from bot.integrations.statuspage import StatuspageDeliverers
from bot.metrics import Metrics
from bot.outbox import Deliverer, Dispatcher
from bot.scheduler import Scheduler
from bot.services.alerts import AlertService
from bot.services.approvals import EXPIRY_JOB, ApprovalService
from bot.services.background import Background
from bot.services.checklists import ChecklistService
from bot.services.context import Answers
from bot.services.declarations import DeclarationService
from bot.services.figures import FiguresService
from bot.services.followups import FollowupService
from bot.services.incidents import IncidentService
from bot.services.paging import PagingService
from bot.services.postmortems import PostmortemService
from bot.services.reminders import Reminders
from bot.services.statements import StatementService
from bot.services.timeline import TimelineService
from bot.slack.alert_messages import AlertMessages
from bot.slack.checklist_messages import ChecklistMessages
from bot.slack.composer import Composer
from bot.slack.figure_messages import FigureMessages
from bot.slack.followup_messages import FollowupMessages
from bot.slack.gateway import SlackGateway, build_client
from bot.slack.paging_messages import PagingMessages
from bot.slack.templates import Templates
from bot.store.availability import wait_until_reachable
from bot.store.db import Pool, connect, embedded_database_url
from bot.store.migrate import migrate

SLACK_TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass(frozen=True)
class Services:
    settings: Settings
    policy: Policy
    pool: Pool
    slack: SlackGateway
    compose: Composer
    declarations: DeclarationService
    incidents: IncidentService
    timeline: TimelineService
    postmortems: PostmortemService
    alerts: AlertService
    reminders: Reminders
    metrics: Metrics
    dispatcher: Dispatcher
    inbox: Inbox
    answers: Answers
    clock: Clock
    background: Background
    scheduler: Scheduler
    approvals: ApprovalService
    checklists: ChecklistService
    figures: FiguresService
    followups: FollowupService
    paging: PagingService
    statements: StatementService


@dataclass(frozen=True)
class Resources:
    """What the services run on; whoever opened each one closes it."""

    pool: Pool
    slack_session: aiohttp.ClientSession
    executors: Executors
    background: Background
    metrics: Metrics
    integrations_session: aiohttp.ClientSession
    """Calls to other systems (PagerDuty, Statuspage, GitHub, Jira): `bot.integrations`."""


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    try:
        return embedded_database_url(settings.data_dir)
    except OSError as error:
        raise CannotStart(
            f"cannot start the embedded PostgreSQL in {settings.data_dir / 'pgdata'}:"
            f" {error.strerror or error}. Set DATA_DIR to a folder the bot may write, or DATABASE_URL"
        ) from None


@asynccontextmanager
async def open_pool(
    settings: Settings, *, wait: timedelta = timedelta(0), size: int | None = None
) -> AsyncIterator[Pool]:
    """The process's one pool on the bot's database (`DATABASE_URL`, or the embedded server).

    `DATABASE_URL` is first waited for, up to `wait` (`serve --wait-for-db`), so that a database
    still starting, or a wrong URL, ends in one line rather than a traceback.
    """
    url = database_url(settings)
    if settings.database_url is not None:
        await wait_until_reachable(url, wait)
    size = size or settings.database_pool_size
    async with connect(url, min_size=size, max_size=size) as pool:
        yield pool


async def apply_migrations(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await migrate(conn)


def open_slack_session() -> aiohttp.ClientSession:
    """The HTTP session every Slack call and `response_url` answer goes out on."""
    return aiohttp.ClientSession(timeout=SLACK_TIMEOUT)


def action_catalog(policy: Policy, environ: Mapping[str, str]) -> Catalog:
    """The policy's actions, with the DSNs and tokens they name looked up in `environ`."""
    return Catalog(policy, resolve_environment(policy, environ))


def slack_gateway(settings: Settings, session: aiohttp.ClientSession) -> SlackGateway:
    client = build_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        max_retries=settings.slack_max_retries,
        session=session,
    )
    return SlackGateway(client, session)


def delivery_gateway(settings: Settings, session: aiohttp.ClientSession) -> SlackGateway:
    """The outbox's way to Slack: its client retries nothing, the dispatcher retries instead."""
    client = build_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        max_retries=0,
        session=session,
    )
    return SlackGateway(client, session)


def build_services(
    settings: Settings, policy: Policy, clock: Clock, catalog: Catalog, opened: Resources
) -> Services:
    """Every service, built once on the opened resources (no I/O here)."""
    pool, background = opened.pool, opened.background
    gateway = slack_gateway(settings, opened.slack_session)
    composer = Composer(Templates(policy.tz, settings.templates_dir), policy)
    dispatcher = Dispatcher(
        pool,
        delivery_gateway(settings, opened.slack_session),
        composer,
        clock,
        opened.metrics,
        background,
        give_up_after=policy.give_up_after,
        announce_channel=policy.announce_channel,
    )
    declarations = DeclarationService(pool, dispatcher, policy, composer, clock)
    dispatcher.register_all(declarations.follow_ups())
    checklists = ChecklistService(
        pool, gateway, policy, ChecklistMessages(composer.templates), clock
    )
    dispatcher.register_all(checklists.follow_ups())
    declarations.set_up.append(checklists.post_on_declare)
    postmortems = PostmortemService(pool, gateway, policy, composer, clock)
    incidents = IncidentService(pool, gateway, policy, composer, clock, postmortems)
    incidents.resolving.append(checklists.post_on_resolve)
    reminders = Reminders(pool, gateway, composer, policy, clock)
    approvals = ApprovalService(
        pool, gateway, composer.templates, clock, catalog, opened.executors, checklists
    )
    dispatcher.register_all(approvals.follow_ups())
    checklists.changed.append(approvals.checklist_changed)
    paging = PagingService(
        pool, policy, PagingMessages(composer.templates), clock, catalog.secret, dispatcher
    )
    dispatcher.register_all(paging.follow_ups())
    dispatcher.register_deliverers(
        PagerDuty(opened.integrations_session, catalog.secret, paging.channel_of).deliverers()
    )
    declarations.declared.append(paging.page_on_declare)
    declarations.set_up.append(paging.show_page_on_declare)
    declarations.abandoned.append(paging.report_deferred)
    incidents.regraded.append(paging.page_on_regrade)
    incidents.resolving.append(paging.resolve_pages)
    statements = StatementService(pool, policy, composer.templates, approvals)
    dispatcher.register_all(statements.follow_ups())
    dispatcher.register_deliverers(statuspage_deliverers(statements, catalog, opened))
    incidents.resolution_parts.append(statements.offer_resolution)
    incidents.status_lines.append(statements.status_line)
    scheduler = Scheduler(pool, clock, reminders.job_handlers())
    alerts = AlertService(pool, declarations, AlertMessages(composer), policy, clock)
    dispatcher.register_all(alerts.follow_ups())
    scheduler.register(EXPIRY_JOB, approvals.expire)
    figures = FiguresService(
        pool, policy, FigureMessages(composer.templates, policy), clock, opened.metrics
    )
    for kind, handler in figures.job_handlers().items():
        scheduler.register(kind, handler)
    opened.metrics.refreshers.append(figures.refresh_metrics)
    followups = FollowupService(pool, gateway, policy, FollowupMessages(composer.templates), clock)
    dispatcher.register_all(followups.follow_ups())
    for kind, handler in followups.job_handlers().items():
        scheduler.register(kind, handler)
    dispatcher.register_deliverers(
        export_deliverers(opened.integrations_session, policy.followups.export, catalog.secret)
    )
    timeline = TimelineService(pool, gateway, composer, clock)
    timeline.action_items.append(followups.from_note)
    return Services(
        settings=settings,
        policy=policy,
        pool=pool,
        slack=gateway,
        compose=composer,
        declarations=declarations,
        incidents=incidents,
        timeline=timeline,
        postmortems=postmortems,
        alerts=alerts,
        reminders=reminders,
        metrics=opened.metrics,
        dispatcher=dispatcher,
        inbox=Inbox(pool, clock, background, opened.metrics),
        answers=Answers(pool, clock),
        clock=clock,
        background=background,
        scheduler=scheduler,
        approvals=approvals,
        checklists=checklists,
        figures=figures,
        followups=followups,
        paging=paging,
        statements=statements,
    )


def statuspage_deliverers(
    statements: StatementService, catalog: Catalog, opened: Resources
) -> dict[str, Deliverer]:
    """Statements go to Statuspage with the key the policy names, looked up as each is sent."""
    api = http_api.HttpApi(opened.integrations_session, statuspage.SYSTEM)
    return StatuspageDeliverers(api, catalog.secret, statements.public_id).deliverers()


@asynccontextmanager
async def open_services(
    settings: Settings, policy: Policy, clock: Clock, environ: Mapping[str, str]
) -> AsyncIterator[Services]:
    """A whole replica's services for the length of a block (the web app opens its own)."""
    catalog = action_catalog(policy, environ)
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(open_pool(settings))
        await apply_migrations(pool)
        session = await stack.enter_async_context(open_slack_session())
        outside = await stack.enter_async_context(http_api.open_session())
        executors = await stack.enter_async_context(open_executors(catalog))
        background = Background()
        stack.push_async_callback(background.close)
        opened = Resources(pool, session, executors, background, Metrics(), outside)
        yield build_services(settings, policy, clock, catalog, opened)
