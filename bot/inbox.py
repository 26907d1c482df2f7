"""The inbox: what people asked for is recorded before the ack and run from PostgreSQL.

A handler verifies and parses a request, then `receive` records it in one short commit and
Slack gets its ack: nothing acknowledged can be lost. The request runs at once on this replica
if it has a free slot, otherwise it waits in the table — not in memory — until a slot frees
here or on another replica. A replica that dies while running a request lets its lease lapse
and any replica runs it again; the services claim each delivery in the transaction that does
its work (`claim_delivery`), so running it again changes nothing that was done.

Runs go through `Background`, so shutdown and tests wait for them as for any work after an ack.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import structlog

from bot.domain.clock import Clock
from bot.domain.text import clean_json
from bot.metrics import Metrics
from bot.services.background import Background
from bot.store import inbox
from bot.store.db import Pool
from bot.store.inbox import Received
from bot.wakeup import woken

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
"""Runs one kind of request from what was recorded of it."""


class Inbox:
    def __init__(
        self,
        pool: Pool,
        clock: Clock,
        background: Background,
        metrics: Metrics,
        *,
        concurrency: int = 8,
        lease: timedelta = timedelta(minutes=2),
        poll_seconds: float = 1.0,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.background = background
        self.metrics = metrics
        self.concurrency = concurrency
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.handlers: dict[str, Handler] = {}
        self.limits: dict[str, int] = {}
        """Kinds that may hold only a few of the slots (`register`'s `at_most`)."""
        self._running = 0
        self._running_kind: Counter[str] = Counter()
        self._filling = asyncio.Lock()
        self._backlog = False
        """Whether requests may be waiting for a slot here (the sweep looks every poll anyway)."""
        self._wake = asyncio.Event()
        self.owner: int | None = None
        """This replica's presence pid (`bot.store.db.presence`), set while the app runs."""

    def register(self, kind: str, handler: Handler, *, at_most: int | None = None) -> None:
        """Run requests of `kind` with `handler`; `at_most` of them at once on this replica.

        A burst of cheap, frequent requests (checklist ticks) then leaves the other slots, and
        the event loop, to the acks and to the rest: each one re-draws a message, and eight at
        once kept the next clicks' acks waiting behind them."""
        self.handlers[kind] = handler
        if at_most is not None:
            self.limits[kind] = at_most

    def _has_slot(self, kind: str) -> bool:
        return self._running < self.concurrency and self._running_kind[kind] < self.limits.get(
            kind, self.concurrency
        )

    def _started(self, kind: str, count: int = 1) -> None:
        self._running += count
        self._running_kind[kind] += count

    async def receive(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Record a request (before its ack: one short commit), claimed at once when this
        replica has a free slot, and run it; False for a request recorded before (Slack's
        retry, a double click)."""
        # PostgreSQL holds no NUL (nor a lone surrogate): what is recorded is what can be.
        stored = cast(dict[str, Any], clean_json(payload, max_depth=64))
        now = self.clock()
        taken = int(self._has_slot(kind))
        self._started(kind, taken)
        try:
            async with self.pool.acquire() as conn:
                recorded = await inbox.record(
                    conn,
                    key=key,
                    kind=kind,
                    payload=stored,
                    now=now,
                    claim=(self.owner, self.lease) if taken else None,
                )
        except BaseException:
            self._started(kind, -taken)
            raise
        if recorded is None or not taken:
            self._started(kind, -taken)
            self._backlog |= recorded is not None
            if recorded is not None and self._has_slot(kind):
                # A run ended while this was being recorded, and its look for waiting requests
                # may have come before this commit: look again rather than wait for the sweep.
                self.background.start(self.fill(), name="inbox:fill")
            return recorded is not None
        request = Received(recorded, key, kind, stored, 1, now)
        self.background.start(self._run(request), name=f"inbox:{kind}")
        return True

    async def fill(self) -> None:
        """Claim as many waiting requests as there are free slots and start them."""
        async with self._filling:
            free = self.concurrency - self._running
            if free <= 0:
                return
            allowances = {
                kind: max(limit - self._running_kind[kind], 0)
                for kind, limit in self.limits.items()
            }
            async with self.pool.acquire() as conn:
                claimed = await inbox.claim(
                    conn,
                    now=self.clock(),
                    lease=self.lease,
                    limit=free,
                    owner=self.owner,
                    allowances=allowances,
                )
            # A full claim, or as many of a limited kind as it was allowed: more may be waiting.
            self._backlog = len(claimed) == free or any(
                sum(r.kind == kind for r in claimed) >= allowed
                for kind, allowed in allowances.items()
            )
            for request in claimed:
                self._started(request.kind)
                self.background.start(self._run(request), name=f"inbox:{request.kind}")

    async def _run(self, request: Received) -> None:
        structlog.contextvars.bind_contextvars(inbox=request.id, request_kind=request.kind)
        error: str | None = None
        try:
            handler = self.handlers.get(request.kind)
            if handler is None:
                raise LookupError(f"no handler for inbox requests of kind {request.kind!r}")
            await handler(request.payload)
        except Exception as failure:  # a bug: recorded and logged, never run again by itself
            error = f"{type(failure).__name__}: {failure}"
            log.exception("inbox_request_failed")
        finally:
            self._started(request.kind, -1)
        async with self.pool.acquire() as conn:
            await inbox.finish(conn, request.id, now=self.clock(), error=error)
        # Start whatever waited for this slot before this run ends, so `Background.idle()`
        # returns only once nothing is left waiting.
        if self._backlog:
            await self.fill()

    async def run_forever(self) -> None:
        """Pick up requests other replicas left (saturated, or dead mid-run), every poll."""
        while True:
            await self.fill()
            await self._refresh_gauge()
            self._wake.clear()
            await woken(self._wake, self.poll_seconds)

    async def _refresh_gauge(self) -> None:
        """The inbox's depth for /metrics (the sweep runs once a poll)."""
        async with self.pool.acquire() as conn:
            self.metrics.inbox_waiting.set(await inbox.waiting(conn))
