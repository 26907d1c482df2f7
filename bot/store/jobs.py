"""The `jobs` table: durable timers claimed once across replicas (effects: `handled`)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.store.db import Connection

WAKE_CHANNEL = "incident_bot_jobs"
"""NOTIFY channel: a replica that schedules a job wakes the others' schedulers.

The payload is the job's due time in seconds since the epoch (empty from older senders)."""

_COLUMNS = "id, key, kind, incident_id, due_at, payload, attempts"


@dataclass(frozen=True)
class Job:
    id: int
    key: str
    kind: str
    incident_id: int | None
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


def _job(row: asyncpg.Record) -> Job:
    return Job(**dict(row))


@dataclass(frozen=True)
class NewJob:
    """A job to add: run `kind` at `due_at`, once, whatever replica claims it."""

    key: str
    kind: str
    due_at: datetime
    incident_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


async def schedule(conn: Connection, *new: NewJob, now: datetime) -> int:
    """Add each job unless one with its key exists, in one statement; how many were added.

    The earliest added job's due time is announced on WAKE_CHANNEL (on commit) in the same
    round trip, so every replica's scheduler can wake if it is due sooner than it thought.
    """
    if not new:
        return 0
    added: int = await conn.fetchval(
        """WITH added AS (
               INSERT INTO jobs (key, kind, incident_id, due_at, payload, created_at)
               SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[],
                                    $5::jsonb[], $6::timestamptz[])
               ON CONFLICT (key) DO NOTHING RETURNING due_at),
                earliest AS (SELECT count(*) AS n, min(due_at) AS due_at FROM added)
           SELECT n FROM earliest, LATERAL (
               SELECT pg_notify($7, extract(epoch FROM earliest.due_at)::text)
               WHERE earliest.n > 0) AS woken""",
        [job.key for job in new],
        [job.kind for job in new],
        [job.incident_id for job in new],
        [job.due_at for job in new],
        [job.payload for job in new],
        [now] * len(new),
        WAKE_CHANNEL,
    )
    return added or 0


async def cancel(conn: Connection, *, incident_id: int, kinds: tuple[str, ...]) -> int:
    """Cancel an incident's pending jobs of these kinds; returns how many."""
    status: str = await conn.execute(
        """UPDATE jobs SET state = 'cancelled'
           WHERE incident_id = $1 AND kind = ANY($2::text[]) AND state = 'pending'""",
        incident_id,
        list(kinds),
    )
    return int(status.split()[-1])


async def cancel_about(
    conn: Connection, *, incident_id: int, kind: str, key: str, value: object
) -> int:
    """Cancel an incident's pending jobs of `kind` whose payload's `key` is `value` (one
    follow-up's reminders among its incident's); returns how many."""
    status: str = await conn.execute(
        """UPDATE jobs SET state = 'cancelled'
           WHERE incident_id = $1 AND kind = $2 AND state = 'pending' AND payload->>$3 = $4""",
        incident_id,
        kind,
        key,
        str(value),
    )
    return int(status.split()[-1])


async def claim_due(conn: Connection, *, now: datetime, lease: timedelta, limit: int) -> list[Job]:
    """Take up to `limit` due jobs (or jobs whose lease lapsed) for this replica.

    A running job was due when it was claimed, so `due_at <= now` bounds both cases and lets
    the jobs_due index stop at the first job that is not yet due.
    """
    rows = await conn.fetch(
        f"""UPDATE jobs SET state = 'running', leased_until = $1::timestamptz + $2::interval,
                            attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM jobs
                WHERE due_at <= $1
                  AND (state = 'pending' OR (state = 'running' AND leased_until < $1))
                ORDER BY due_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        now,
        lease,
        limit,
    )
    return sorted((_job(r) for r in rows), key=lambda job: job.due_at)


async def finish(conn: Connection, job_id: int, *, now: datetime, error: str | None = None) -> None:
    await conn.execute(
        """UPDATE jobs SET state = $2, finished_at = $3, last_error = $4, leased_until = NULL
           WHERE id = $1 AND state = 'running'""",
        job_id,
        "failed" if error else "done",
        now,
        error,
    )


async def finish_all(conn: Connection, job_ids: list[int], *, now: datetime) -> None:
    """Mark many jobs done at once: a scheduler finishes a whole batch in one round trip."""
    await conn.execute(
        """UPDATE jobs SET state = 'done', finished_at = $2, last_error = NULL, leased_until = NULL
           WHERE id = ANY($1::bigint[]) AND state = 'running'""",
        job_ids,
        now,
    )


async def next_due(conn: Connection) -> datetime | None:
    """The earliest time a job becomes claimable (a due time or a lease's end)."""
    due: datetime | None = await conn.fetchval(
        """SELECT least((SELECT min(due_at) FROM jobs WHERE state = 'pending'),
                        (SELECT min(leased_until) FROM jobs WHERE state = 'running'))"""
    )
    return due


async def pending(conn: Connection, *, incident_id: int) -> list[Job]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM jobs WHERE incident_id = $1 AND state = 'pending' ORDER BY due_at",
        incident_id,
    )
    return [_job(r) for r in rows]


async def retry(conn: Connection, job_id: int, *, due_at: datetime) -> None:
    await conn.execute(
        "UPDATE jobs SET state = 'pending', due_at = $2, leased_until = NULL WHERE id = $1 AND state = 'running'",
        job_id,
        due_at,
    )
