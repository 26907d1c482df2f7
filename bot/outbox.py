"""The dispatcher: delivers recorded effects, on any replica, through outages of any length.

Each replica claims due effects in batches (`bot.store.outbox.claim`: the oldest waiting
effect of each lane, `SKIP LOCKED`, under a lease) and makes their calls, each in a slot of its
own: a call Slack is slow to answer outlasts its batch and holds its slot and its lane, not the
others. Then, in one transaction:
- delivered: the effect is marked done and its follow-up runs (`FollowUp.done`: the created
  channel's set-up is recorded, a post's pin, a card's ts is kept); one with no follow-up is
  marked done in the statement that takes the next effect of its lane, which the same replica
  delivers on (a new channel's topic, then its invitation, then its pin);
- Slack is unreachable, failing or rate limited: the effect waits out an exponential backoff
  (or Slack's Retry-After) and is tried again, for as long as the policy's `give_up_after`;
  the person who asked is told once that Slack is not answering and their request is saved;
- refused for good, or too old: the effect is given up and the failure is announced (in the
  incident channel, or the announce channel) once Slack answers again — never dropped silently.

When a delivery succeeds after failures, every effect waiting out a backoff is brought forward:
Slack's return is seen within one delivery, not one backoff, later. Recording an effect wakes
every replica's dispatcher when the transaction commits (NOTIFY). Time comes from the injected
clock: tests move it and call `run_due()` or `settle()`.
"""

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog

from bot.domain.backoff import retry_delay
from bot.domain.clock import Clock
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.metrics import Metrics
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackError, SlackGateway
from bot.store import incidents, outbox
from bot.store.db import Connection, Pool, listening
from bot.wakeup import woken

log = structlog.get_logger(__name__)

REPORT = "outbox.report"
"""The follow-up of a failure report: a report that cannot be delivered is only logged."""
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
PRIVATE = frozenset({"respond", "ephemeral"})
"""Answers to one person: one that cannot be delivered is logged, not announced to a channel."""


_DELIVER_HERE: ContextVar[list[Effect] | None] = ContextVar("deliver_here", default=None)
"""The effects `record_here` claimed in the current `Dispatcher.transaction`."""


class Starter(Protocol):
    """Runs work as a task that shutdown and tests can wait for (`Background`)."""

    def start(self, work: Coroutine[Any, Any, None], *, name: str) -> None: ...


@dataclass(frozen=True)
class FollowUp:
    """What happens, in the transaction that settles an effect, when it was delivered and
    (optionally) when it was refused for good; `refused` returns True if it handled the refusal
    (e.g. reserved another channel name), so no failure is reported."""

    done: Callable[[Connection, Effect, effects.Result], Awaitable[None]]
    refused: Callable[[Connection, Effect, DeliveryError], Awaitable[bool]] | None = None


Deliverer = Callable[[Effect], Awaitable[effects.Result]]
"""Makes one kind of effect's call to a system other than Slack (`bot.integrations`); raises
`DeliveryError` when refused or unreachable."""


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: 0.5 s doubling to 10 s, jittered; at least Retry-After."""
    draw = random.random()  # noqa: S311 - spreading retries, not security
    return max(retry_delay(attempts, draw, first=0.5, cap=10.0), retry_after or 0.0)


class Dispatcher:
    def __init__(
        self,
        pool: Pool,
        slack: SlackGateway,
        compose: Composer,
        clock: Clock,
        metrics: Metrics,
        background: Starter,
        *,
        give_up_after: timedelta,
        announce_channel: str,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 16,
        max_sleep: float = 30.0,
        patience: float = 1.0,
    ) -> None:
        self.pool = pool
        self.slack = slack
        self.compose = compose
        self.clock = clock
        self.metrics = metrics
        self.background = background
        self.give_up_after = give_up_after
        self.announce_channel = announce_channel
        self.lease = lease
        self.concurrency = concurrency
        self.max_sleep = max_sleep
        self.follow_ups: dict[str, FollowUp] = {REPORT: FollowUp(_nothing, _log_only)}
        self.deliverers: dict[str, Deliverer] = {}
        """Effects for other systems, by method; every other method is Slack's."""
        self._wake = asyncio.Event()
        self.patience = patience
        self._delivering: set[asyncio.Task[None]] = set()
        """This replica's deliveries in flight: one slot each, `concurrency` slots."""
        self._slow: set[asyncio.Task[None]] = set()
        """Deliveries that outlasted their batch's `patience`."""
        self.owner: int | None = None
        """This replica's presence pid (`bot.store.db.presence`), set while the app runs."""
        self._failing = False
        self._gauged_at = 0.0
        self.sleeping = asyncio.Event()
        """Set while the loop waits for the next due effect or a wake-up (tests wait on it)."""

    def register_all(self, follow_ups: Mapping[str, FollowUp]) -> None:
        self.follow_ups.update(follow_ups)

    def register_deliverers(self, deliverers: Mapping[str, Deliverer]) -> None:
        self.deliverers.update(deliverers)

    @asynccontextmanager
    async def transaction(self, conn: Connection) -> AsyncIterator[None]:
        """A transaction whose effects recorded with `record_here` this replica starts to
        deliver as soon as it commits."""
        claimed: list[Effect] = []
        token = _DELIVER_HERE.set(claimed)
        try:
            async with conn.transaction():
                yield
        finally:
            _DELIVER_HERE.reset(token)
        for effect in claimed:
            self.background.start(self._deliver(effect), name=f"outbox:{effect.method}")

    async def record_here(
        self, conn: Connection, effect: NewEffect, *, now: datetime, drill: bool | None = None
    ) -> None:
        """Record an effect that opens its lane (a new incident's channel, the first message in
        a channel just made) claimed by this replica, which delivers it when the enclosing
        `transaction` commits: the NOTIFY, the wake-up and the claim are saved, which is most of
        what stands between a declaration and its channel. Outside such a transaction, or with
        another effect waiting in the lane, it is recorded for any replica, as `outbox.record`.
        `drill`: whether its incident is a drill, when the caller knows (see `outbox.record_all`)."""
        claimed = _DELIVER_HERE.get()
        if claimed is None or effect.coalesce_key is not None:
            await outbox.record_all(conn, [effect], now=now, drill=drill)
            return
        mine = await outbox.record_claimed(
            conn, effect, now=now, lease=self.lease, owner=self.owner, drill=drill
        )
        if mine is not None:
            claimed.append(mine)

    async def run_due(self) -> int:
        """Claim and deliver every effect due now, batch after batch; how many were claimed.

        Each batch is waited for, so that what it frees (a lane's next effect) is claimed with
        the next batch, in one statement. A delivery still running after `patience` — Slack slow
        to answer it — goes on in its slot, and the next batch is claimed around it: it holds
        up its own lane, not the others."""
        total = 0
        while True:
            free = self.concurrency - len(self._delivering)
            claimed: list[Effect] = []
            if free > 0:
                async with self.pool.acquire() as conn:
                    claimed = await outbox.claim(
                        conn, now=self.clock(), lease=self.lease, limit=free, owner=self.owner
                    )
            if not claimed:
                return total
            total += len(claimed)
            batch = {self._start(effect) for effect in claimed}
            done, slow = await asyncio.wait(batch, timeout=self.patience)
            self._slow |= slow
            for task in done:
                task.result()  # a failure outside Slack's (the database) ends the run

    def _start(self, effect: Effect) -> "asyncio.Task[None]":
        task = asyncio.create_task(self._deliver(effect), name=f"outbox:{effect.method}")
        self._delivering.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: "asyncio.Task[None]") -> None:
        self._delivering.discard(task)
        if task in self._slow:  # its slot is free and its lane moved on: look again
            self._slow.discard(task)
            self._wake.set()
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery_failed", task=task.get_name(), exc_info=task.exception())

    async def settle(self) -> None:
        """Deliver until nothing is due or being delivered by any replica (tests, the demo);
        effects waiting out a backoff stay waiting until the clock reaches them."""
        while True:
            await self.run_due()
            async with self.pool.acquire() as conn:
                if not await outbox.unsettled(conn, now=self.clock()):
                    return
            await asyncio.sleep(0.005)  # another delivery is in flight: let it finish

    async def _deliver(self, effect: Effect) -> None:
        """Deliver `effect`, then each next effect of its lane taken on finishing it."""
        following: Effect | None = effect
        while following is not None:
            following = await self._deliver_one(following)

    async def _deliver_one(self, effect: Effect) -> Effect | None:
        """Make one effect's call and settle it; the next effect of its lane, if this replica
        took it."""
        structlog.contextvars.bind_contextvars(effect=effect.id, incident_id=effect.incident_id)
        try:
            deliverer = self.deliverers.get(effect.method)
            if deliverer is not None:
                result = await deliverer(effect)
            else:
                result = await effects.deliver(self.slack, effect)
        except DeliveryError as error:
            await self._failed(effect, error)
            return None
        else:
            return await self._delivered(effect, result)
        finally:
            structlog.contextvars.unbind_contextvars("effect", "incident_id")

    async def _delivered(self, effect: Effect, result: effects.Result) -> Effect | None:
        now = self.clock()
        follow_up = self.follow_ups.get(effect.then_do or "")
        following: Effect | None = None
        async with self.pool.acquire() as conn:
            if follow_up is None and not self._failing:  # one statement: no transaction needed
                _, following = await outbox.finish_and_take_next(
                    conn, effect.id, now=now, result=result, lease=self.lease, owner=self.owner
                )
            else:
                async with self.transaction(conn):
                    if await outbox.finish(conn, effect.id, now=now, result=result) and follow_up:
                        await follow_up.done(conn, effect, result)
                    if self._failing:
                        self._failing = False
                        await outbox.bring_forward(conn, now=now)
        self.metrics.deliveries.labels(effect.method, "delivered").inc()
        if effect.attempts > 1:
            log.info("effect_delivered_late", method=effect.method, attempts=effect.attempts)
        return following

    async def _failed(self, effect: Effect, error: DeliveryError) -> None:
        now = self.clock()
        slack = isinstance(error, SlackError)
        if error.is_transient and slack:
            self._failing = True
        if error.is_transient and now - effect.created_at < self.give_up_after:
            pause = backoff(effect.attempts, error.retry_after)
            async with self.pool.acquire() as conn, conn.transaction():
                await outbox.retry(
                    conn,
                    effect.id,
                    due_at=now + timedelta(seconds=pause),
                    error=error.error,
                    maybe_done=error.error == "unreachable",
                )
                if effect.attempts == 1 and effect.notify and slack:
                    await self._tell_slow(conn, effect, now)
            self.metrics.deliveries.labels(effect.method, "retried").inc()
            log.warning("effect_retried", method=effect.method, error=error.error, pause=pause)
            return
        await self._give_up(effect, error, now)

    async def _give_up(self, effect: Effect, error: DeliveryError, now: datetime) -> None:
        follow_up = self.follow_ups.get(effect.then_do or "")
        async with self.pool.acquire() as conn, conn.transaction():
            if not await outbox.give_up(conn, effect.id, now=now, error=error.error):
                return
            handled = bool(
                follow_up and follow_up.refused and await follow_up.refused(conn, effect, error)
            )
            if not handled and effect.method in PRIVATE:
                log.warning("answer_undeliverable", error=error.error, about=effect.about)
            elif not handled:
                await self._report(conn, effect, error, now)
        self.metrics.deliveries.labels(effect.method, "given_up").inc()
        log.error("effect_given_up", method=effect.method, error=error.error, about=effect.about)

    async def _tell_slow(self, conn: Connection, effect: Effect, now: datetime) -> None:
        notify = effect.notify or {}
        url = notify.get("response_url")
        if not url:
            return
        message = self.compose.delivery_slow(str(notify.get("what") or "request"))
        await outbox.record(
            conn,
            effects.respond(url, message, about="tell the person Slack is slow").with_key(
                f"slow:{url}"
            ),
            now=now,
        )

    async def _report(
        self, conn: Connection, effect: Effect, error: DeliveryError, now: datetime
    ) -> None:
        """Announce an effect given up: in its incident's channel, else the announce channel,
        and to the person who asked for it."""
        incident = await incidents.by_id(conn, effect.incident_id) if effect.incident_id else None
        channel = self.announce_channel
        if (
            incident
            and incident.channel_id
            and not (
                effect.args.get("channel") == incident.channel_id and error.error in CHANNEL_GONE
            )
        ):
            channel = incident.channel_id
        message = self.compose.delivery_failed(
            about=effect.about,
            error=error.error,
            incident=incident,
            since=effect.created_at,
            system=error.system,
            detail=error.detail,
        )
        report = effects.post(
            channel,
            message,
            about="report an undelivered effect",
            then_do=REPORT,
            incident_id=incident.id if incident else None,
        )
        await outbox.record(conn, report.with_key(f"report:{effect.id}"), now=now)
        url = (effect.notify or {}).get("response_url")
        if url:
            await outbox.record(
                conn, effects.respond(url, message, about="tell the person it failed"), now=now
            )

    async def run_forever(self) -> None:
        """Deliver due effects, then sleep until the next is due or a NOTIFY says one was added."""
        try:
            async with listening(self.pool, outbox.WAKE_CHANNEL, self._notified):
                while True:
                    self._wake.clear()
                    await self.run_due()
                    await self._refresh_gauges()
                    if not self._wake.is_set():  # nothing recorded meanwhile: wait for what is
                        await self._sleep_until_next()
        except asyncio.CancelledError:  # shutdown: what they claimed goes to the next claim
            for task in self._delivering:
                task.cancel()
            raise

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _refresh_gauges(self) -> None:
        """At most once a second: the loop wakes for every effect recorded."""
        if time.monotonic() - self._gauged_at < 1.0:
            return
        self._gauged_at = time.monotonic()
        async with self.pool.acquire() as conn:
            waiting = await outbox.waiting(conn)
        self.metrics.outbox_waiting.set(waiting.count)
        age = (self.clock() - waiting.oldest).total_seconds() if waiting.oldest else 0.0
        self.metrics.outbox_oldest_seconds.set(max(age, 0.0))

    async def _sleep_until_next(self) -> None:
        # The wake-up was cleared before the last run: a NOTIFY since then ends the wait at once.
        async with self.pool.acquire() as conn:
            due = await outbox.next_due(conn, now=self.clock())
        pause = self.max_sleep if due is None else (due - self.clock()).total_seconds()
        if pause <= 0:
            return
        self.sleeping.set()
        await woken(self._wake, min(pause, self.max_sleep))
        self.sleeping.clear()


async def _nothing(_conn: Connection, _effect: Effect, _result: effects.Result) -> None:
    return None


async def _log_only(_conn: Connection, effect: Effect, error: DeliveryError) -> bool:
    log.error("failure_report_undeliverable", error=error.error, about=effect.about)
    return True
