"""The figures: `/incident stats`, the weekly review, and what /metrics shows of the database.

Reads only, but for two things recorded in the outbox: the chart shared next to a stats answer
(coalesced on the command's delivery key, so a Slack retry shares it once), and the review's
digest and chart, posted by a durable job once per period across replicas (the job's key names
its due time; the run claims that key before it records anything, so a job run twice posts once).
"""

import time as monotonic
from datetime import date, datetime

import asyncpg
import structlog

from bot.config import Policy
from bot.domain.clock import Clock
from bot.domain.commands import ShowStats
from bot.domain.figures import (
    Chart,
    Figures,
    Goals,
    IncidentTimes,
    Period,
    chart,
    figures,
    first_review,
    next_review,
    period_of,
    review_period,
)
from bot.metrics import Metrics
from bot.scheduler import JobHandler, Run
from bot.services.context import Invocation, Reply
from bot.slack import effects
from bot.slack.figure_messages import FigureMessages
from bot.store import figures as stored
from bot.store import handled, jobs, outbox
from bot.store.db import Connection, Pool

log = structlog.get_logger(__name__)

REVIEW = "review"
"""The weekly review's job kind; its key is `review:<due time>`."""
METRICS_FRESH_FOR = 15.0
"""Seconds a scrape reuses the database's figures: /metrics stays fast however often it is read."""
BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 259200.0)
"""Histogram bounds in seconds: a minute to three days, around the runbooks' targets."""


class FiguresService:
    def __init__(
        self, pool: Pool, policy: Policy, messages: FigureMessages, clock: Clock, metrics: Metrics
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.messages = messages
        self.clock = clock
        self.metrics = metrics
        self._refreshed_at: float | None = None

    def goals(self, severity: str) -> Goals:
        """What the policy asks of `severity`; nothing for one it no longer names."""
        levels = {level.key: level for level in self.policy.severities.levels}
        level = levels.get(severity)
        return Goals(level.respond_within if level else None, self.policy.targets.get(severity))

    def today(self, now: datetime) -> date:
        return now.astimezone(self.policy.tz).date()

    async def read(
        self, conn: Connection, period: Period, now: datetime
    ) -> tuple[Figures, Chart, list[IncidentTimes]]:
        """The period's figures, its chart and its incidents, from one connection."""
        declared = await stored.declared_between(conn, period.start, period.end)
        before = period.previous()
        trend = await stored.trend(conn, before.start, before.end)
        counts = await stored.followup_counts(conn, period.start, period.end, self.today(now))
        severities = [level.key for level in self.policy.severities.levels]
        found = figures(period, declared, trend, counts, severities, self.goals, now)
        return found, chart(period, declared, self.goals), declared

    async def stats(self, command: ShowStats, who: Invocation, reply: Reply) -> None:
        """`/incident stats`: the figures to the person, and the chart shared where they asked."""
        now = self.clock()
        period = period_of(command.period, now, self.policy.tz)
        if not period.has_begun(now):
            await reply(self.messages.nothing_yet(period))
            return
        async with self.pool.acquire() as conn:
            found, drawn, _ = await self.read(conn, period, now)
            share = effects.share_chart(
                who.channel_id,
                drawn,
                filename=f"incident-figures-{command.period.text}.png",
                initial_comment=self.messages.chart_comment(period, who.user_id),
                about="share the figures' chart",
                notify=who.notify,
            )
            # Once per request: a stats answer that missed the ack runs again from the inbox,
            # after its chart may have been shared already.
            async with conn.transaction():
                if await handled.claim(conn, f"chart:{who.delivery_key}", now):
                    await outbox.record(conn, share, now=now)
        await reply(self.messages.stats(found))

    async def chart_of(self, period: Period) -> tuple[Figures, Chart]:
        """The figures and chart of `period` (the CLI)."""
        async with self.pool.acquire() as conn:
            found, drawn, _ = await self.read(conn, period, self.clock())
        return found, drawn

    def job_handlers(self) -> dict[str, JobHandler]:
        return {REVIEW: self.review}

    async def arm_review(self) -> bool:
        """Schedule the next review if the policy asks for one; every replica may call this at
        start-up: the job's key names its due time, so they all arm the same one."""
        review = self.policy.review
        if review is None:
            return False
        now = self.clock()
        due = first_review(now, review.at, self.policy.tz)
        async with self.pool.acquire() as conn:
            return await self._schedule(conn, due, now) > 0

    async def _schedule(self, conn: Connection, due: datetime, now: datetime) -> int:
        job = jobs.NewJob(f"{REVIEW}:{due.isoformat()}", REVIEW, due)
        return await jobs.schedule(conn, job, now=now)

    async def review(self, run: Run) -> None:
        """Post the review due at the job's time, once, and arm the next one."""
        review = self.policy.review
        if review is None:
            return
        now, due = self.clock(), run.job.due_at
        period = review_period(due, review.every, self.policy.tz)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await handled.claim(conn, run.job.key, now):
                return
            found, drawn, declared = await self.read(conn, period, now)
            overdue = await stored.overdue(conn, self.today(now))
            channel = self.policy.announce_channel
            digest = effects.post(
                channel,
                self.messages.review(found, declared, overdue),
                about="post the weekly review",
            )
            share = effects.share_chart(
                channel,
                drawn,
                filename=f"incident-review-{due.astimezone(self.policy.tz):%Y-%m-%d}.png",
                initial_comment=self.messages.chart_comment(period),
                about="share the weekly review's chart",
            )
            await outbox.record_all(conn, [digest, share], now=now)
            await self._schedule(conn, next_review(due, review.every, self.policy.tz), now)
        log.info("review_posted", incidents=found.incidents, late=run.is_late)

    async def refresh_metrics(self) -> None:
        """Bring /metrics' database figures up to date, at most every METRICS_FRESH_FOR seconds."""
        started = monotonic.monotonic()
        if self._refreshed_at is not None and started - self._refreshed_at < METRICS_FRESH_FOR:
            return
        self._refreshed_at = started
        try:
            async with self.pool.acquire() as conn:
                gauges = await stored.gauges(conn, self.today(self.clock()))
                histograms = {
                    measure: await stored.histogram(conn, column, BUCKETS)
                    for measure, column in (
                        ("response", "first_response_at"),
                        ("mitigation", "mitigated_at"),
                        ("resolution", "resolved_at"),
                    )
                }
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # /metrics still answers (the process's own counters), with the last figures read.
            log.warning("metrics_figures_unavailable", error=type(error).__name__)
            return
        severities = [level.key for level in self.policy.severities.levels]
        self.metrics.show_figures(severities, gauges, histograms, BUCKETS)
