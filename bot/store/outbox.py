"""The `outbox` table: effects recorded with the state change that causes them, then delivered.

A lane is delivered in order: only its oldest waiting effect can be claimed, so a channel's
messages keep their order and an effect recorded after another in the same lane waits for it.
Claims take `FOR UPDATE SKIP LOCKED` under a lease; a replica that dies mid-delivery lets the
lease lapse and another takes the effect over, knowing its outcome is unknown (`attempts > 1`).
"""

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.domain.effects import Effect, NewEffect, Waiting
from bot.store.db import ABANDONED, Connection

WAKE_CHANNEL = "incident_bot_outbox"
"""NOTIFY channel: recording an effect wakes every replica's dispatcher (on commit)."""

_COLUMNS = (
    "id, lane, incident_id, method, args, about, then_do, notify, attempts, maybe_done, created_at"
)


def _effect(row: asyncpg.Record) -> Effect:
    return Effect(**dict(row))


async def record(
    conn: Connection, effect: NewEffect, *, now: datetime, due_at: datetime | None = None
) -> int | None:
    """Record `effect`, due now (or at `due_at`: keeping a pace), and wake the dispatchers on
    commit; its id, or None if an effect with its coalesce key is already waiting."""
    effect_id: int | None = await conn.fetchval(
        """WITH added AS (
               INSERT INTO outbox (lane, incident_id, method, args, about, then_do, coalesce_key,
                                   notify, due_at, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9)
               ON CONFLICT (coalesce_key) WHERE state IN ('pending', 'running')
                   AND coalesce_key IS NOT NULL
               DO NOTHING RETURNING id)
           SELECT id FROM added, pg_notify($10, '')""",
        effect.lane,
        effect.incident_id,
        effect.method,
        effect.args,
        effect.about,
        effect.then_do,
        effect.coalesce_key,
        effect.notify,
        now,
        WAKE_CHANNEL,
        due_at or now,
    )
    return effect_id


async def is_waiting(conn: Connection, coalesce_key: str) -> bool:
    """Whether an effect recorded with `coalesce_key` is still to be delivered."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM outbox WHERE coalesce_key = $1
                          AND state IN ('pending', 'running'))""",
        coalesce_key,
    )
    return found


async def claim(
    conn: Connection, *, now: datetime, lease: timedelta, limit: int, owner: int | None
) -> list[Effect]:
    """Take up to `limit` due effects, each the oldest waiting one of its lane, for `owner`
    (a replica's presence pid); an effect whose claimer is gone is taken over (`ABANDONED`)."""
    rows = await conn.fetch(
        f"""UPDATE outbox SET state = 'running', attempts = attempts + 1,
                              maybe_done = maybe_done OR state = 'running',
                              leased_until = $1::timestamptz + $2::interval, claimed_by = $4
            WHERE id IN (
                SELECT o.id FROM outbox o
                WHERE o.due_at <= $1
                  AND (o.state = 'pending' OR (o.state = 'running' AND {ABANDONED}))
                  AND NOT EXISTS (
                      SELECT 1 FROM outbox earlier
                      WHERE earlier.lane = o.lane AND earlier.id < o.id
                        AND earlier.state IN ('pending', 'running'))
                ORDER BY o.id
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        now,
        lease,
        limit,
        owner,
    )
    return sorted((_effect(r) for r in rows), key=lambda effect: effect.id)


async def finish(
    conn: Connection, effect_id: int, *, now: datetime, result: dict[str, Any]
) -> bool:
    """Mark a delivered effect done; False if this replica no longer held it."""
    status: str = await conn.execute(
        """UPDATE outbox SET state = 'done', done_at = $2, result = $3, leased_until = NULL,
                             last_error = NULL
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        now,
        result,
    )
    return status.endswith(" 1")


async def retry(
    conn: Connection, effect_id: int, *, due_at: datetime, error: str, maybe_done: bool
) -> None:
    """Try again at `due_at`; `maybe_done` when the failed attempt may still have taken effect."""
    await conn.execute(
        """UPDATE outbox SET state = 'pending', due_at = $2, last_error = $3, leased_until = NULL,
                             maybe_done = maybe_done OR $4
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        due_at,
        error,
        maybe_done,
    )


async def give_up(conn: Connection, effect_id: int, *, now: datetime, error: str) -> bool:
    status: str = await conn.execute(
        """UPDATE outbox SET state = 'failed', done_at = $2, last_error = $3, leased_until = NULL
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        now,
        error,
    )
    return status.endswith(" 1")


async def bring_forward(conn: Connection, *, now: datetime) -> int:
    """Make every effect waiting out a backoff due now (the other side answers again)."""
    status: str = await conn.execute(
        "UPDATE outbox SET due_at = $1 WHERE state = 'pending' AND attempts > 0 AND due_at > $1",
        now,
    )
    return int(status.split()[-1])


_HEADS = """SELECT DISTINCT ON (lane) state, due_at, leased_until FROM outbox
              WHERE state IN ('pending', 'running') ORDER BY lane, id"""
"""The oldest waiting effect of each lane: only these can be claimed."""


async def next_due(conn: Connection, *, now: datetime) -> datetime | None:
    """When to look again: the next effect due later (a retry) or lease to lapse.

    Effects due now but waiting behind their lane's head need no wake-up: whoever delivers the
    head claims the next one in the same run. Both minimums come from indexes."""
    due: datetime | None = await conn.fetchval(
        """SELECT least((SELECT min(due_at) FROM outbox WHERE state = 'pending' AND due_at > $1),
                        (SELECT min(leased_until) FROM outbox WHERE state = 'running'))""",
        now,
    )
    return due


async def unsettled(conn: Connection, *, now: datetime) -> int:
    """Effects due now or being delivered: what a caller waiting for quiet still waits for."""
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM ({_HEADS}) AS heads
            WHERE state = 'running' OR due_at <= $1""",
        now,
    )
    return count


async def waiting(conn: Connection, *, incident_id: int | None = None) -> Waiting:
    """Effects not yet delivered: all of them, or one incident's."""
    row = await conn.fetchrow(
        """SELECT count(*) AS count, min(created_at) AS oldest FROM outbox
           WHERE state IN ('pending', 'running') AND ($1::bigint IS NULL OR incident_id = $1)""",
        incident_id,
    )
    return Waiting(count=int(row["count"]) if row else 0, oldest=row["oldest"] if row else None)
