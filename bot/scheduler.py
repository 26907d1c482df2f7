"""Durable jobs: reminders, escalations and expiries that survive restarts and replicas.

Jobs are rows in PostgreSQL with a due time. Each replica claims due rows with
`FOR UPDATE SKIP LOCKED` under a lease, runs the handler registered for the job's kind and
marks it done; a replica that dies mid-run lets its lease lapse and another takes the job over.
Replicas sleep until the earliest due row and are woken early by NOTIFY when a job is added.
A job that comes due while every replica is down runs when one is back, marked late.

Time comes from the injected clock: tests move it and call `run_due()` instead of sleeping.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from bot.domain.clock import Clock
from bot.store import jobs
from bot.store.db import Pool, listening
from bot.store.jobs import Job
from bot.wakeup import woken

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Run:
    """One run of a job, as its handler sees it."""

    job: Job
    late_by: timedelta

    @property
    def is_late(self) -> bool:
        return self.late_by > timedelta(0)


JobHandler = Callable[[Run], Awaitable[None]]


class Scheduler:
    def __init__(
        self,
        pool: Pool,
        clock: Clock,
        handlers: Mapping[str, JobHandler],
        *,
        lease: timedelta = timedelta(minutes=2),
        late_after: timedelta = timedelta(seconds=60),
        batch: int = 200,
        concurrency: int = 20,
        max_attempts: int = 3,
        max_sleep: float = 30.0,
        min_sleep: float = 0.05,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.handlers = dict(handlers)
        self.lease = lease
        self.late_after = late_after
        self.batch = batch
        self.max_attempts = max_attempts
        self.max_sleep = max_sleep
        self.min_sleep = min_sleep
        """Between two due times, sleep at least this long: jobs due close together are claimed
        and finished as one batch instead of one wake-up (and one claim per replica) each."""
        self._gate = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._until: datetime | None = None
        self.sleeping = asyncio.Event()
        """Set while the loop waits for the next due job or a wake-up (tests wait on it)."""

    def register(self, kind: str, handler: JobHandler) -> None:
        self.handlers[kind] = handler

    def wake(self) -> None:
        self._wake.set()

    async def run_due(self) -> int:
        """Claim and run every job due now, batch after batch; returns how many ran."""
        total = 0
        while True:
            async with self.pool.acquire() as conn:
                claimed = await jobs.claim_due(
                    conn, now=self.clock(), lease=self.lease, limit=self.batch
                )
            if not claimed:
                return total
            errors = await asyncio.gather(*(self._run(job) for job in claimed))
            await self._record(list(zip(claimed, errors, strict=True)))
            total += len(claimed)

    async def _run(self, job: Job) -> str | None:
        """Run one job's handler; the error it raised, if any."""
        async with self._gate:
            overdue = self.clock() - job.due_at
            late_by = overdue if overdue > self.late_after else timedelta(0)
            structlog.contextvars.bind_contextvars(job=job.key, incident_id=job.incident_id)
            error: str | None = None
            try:
                handler = self.handlers[job.kind]
                await handler(Run(job, late_by))
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"
                log.exception("job_failed", attempts=job.attempts)
            structlog.contextvars.unbind_contextvars("job", "incident_id")
            return error

    async def _record(self, outcomes: list[tuple[Job, str | None]]) -> None:
        """Mark a batch's jobs done in one statement; retry or fail the ones that raised."""
        now = self.clock()
        async with self.pool.acquire() as conn:
            await jobs.finish_all(
                conn, [job.id for job, error in outcomes if error is None], now=now
            )
            for job, error in outcomes:
                if error and job.attempts < self.max_attempts:
                    await jobs.retry(
                        conn, job.id, due_at=now + timedelta(seconds=30 * job.attempts)
                    )
                elif error:
                    await jobs.finish(conn, job.id, now=now, error=error)

    async def run_forever(self) -> None:
        """Run due jobs, then sleep until the next one is due or a NOTIFY says a job was added."""
        async with listening(self.pool, jobs.WAKE_CHANNEL, self._notified):
            while True:
                await self.run_due()
                await self._sleep_until_next()

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        """Wake for a new job only if it is due before the moment this replica sleeps until.

        Most jobs are scheduled well ahead (the next reminder); waking every replica for each
        of them would cost a claim and a look-up per job per replica for nothing.
        """
        try:
            due: datetime | None = datetime.fromtimestamp(float(str(payload)), UTC)
        except ValueError:
            due = None
        if due is None or self._until is None or due < self._until:
            self._wake.set()

    async def _sleep_until_next(self) -> None:
        # Clear before looking: a NOTIFY that lands while next_due runs must still wake us.
        self._until = None
        self._wake.clear()
        async with self.pool.acquire() as conn:
            due = await jobs.next_due(conn)
        pause = self.max_sleep if due is None else (due - self.clock()).total_seconds()
        if pause > 0:
            pause = min(max(pause, self.min_sleep), self.max_sleep)
            self._until = self.clock() + timedelta(seconds=pause)
            self.sleeping.set()
            await woken(self._wake, pause)
            self.sleeping.clear()
        self._until = None
