"""Durable jobs: reminders, escalations and expiries that survive restarts and replicas.

Jobs are rows in PostgreSQL with a due time. Each replica claims due rows with
`FOR UPDATE SKIP LOCKED` under a lease, runs the handler registered for the job's kind and
marks it done; a replica that dies mid-run lets its lease lapse and another takes the job over.
Replicas sleep until the earliest due row and are woken early by NOTIFY when a job is added.
A job that comes due while every replica is down runs when one is back, marked late.

Time comes from the injected clock: tests move it and call `run_due()` instead of sleeping.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog

from bot.domain.clock import Clock
from bot.store import jobs
from bot.store.db import Pool
from bot.store.jobs import Job

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
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.handlers = dict(handlers)
        self.lease = lease
        self.late_after = late_after
        self.batch = batch
        self.max_attempts = max_attempts
        self.max_sleep = max_sleep
        self._gate = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
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
            await asyncio.gather(*(self._run(job) for job in claimed))
            total += len(claimed)

    async def _run(self, job: Job) -> None:
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
            async with self.pool.acquire() as conn:
                if error and job.attempts < self.max_attempts:
                    await jobs.retry(
                        conn, job.id, due_at=self.clock() + timedelta(seconds=30 * job.attempts)
                    )
                else:
                    await jobs.finish(conn, job.id, now=self.clock(), error=error)
            structlog.contextvars.unbind_contextvars("job", "incident_id")

    async def run_forever(self) -> None:
        """Run due jobs, then sleep until the next one is due or a NOTIFY says a job was added."""
        async with self.pool.acquire() as listener:
            await listener.add_listener(jobs.WAKE_CHANNEL, self._notified)
            try:
                while True:
                    await self.run_due()
                    await self._sleep_until_next()
            finally:
                await listener.remove_listener(jobs.WAKE_CHANNEL, self._notified)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _sleep_until_next(self) -> None:
        # Clear before looking: a NOTIFY that lands while next_due runs must still wake us.
        self._wake.clear()
        async with self.pool.acquire() as conn:
            due = await jobs.next_due(conn)
        pause = self.max_sleep if due is None else (due - self.clock()).total_seconds()
        if pause > 0:
            self.sleeping.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(pause, self.max_sleep))
            self.sleeping.clear()


def run_in_background(scheduler: Scheduler) -> "asyncio.Task[None]":
    """Start the scheduler loop; a crash is logged and the loop restarted after a pause."""

    async def supervise() -> None:
        while True:
            try:
                await scheduler.run_forever()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.exception("scheduler_crashed")
                await asyncio.sleep(5)

    return asyncio.create_task(supervise(), name="scheduler")
