"""The `inbox` table: requests recorded before their ack, claimed once to be run."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.store.db import ABANDONED, Connection

_COLUMNS = "id, key, kind, payload, attempts, received_at"


@dataclass(frozen=True)
class Received:
    """A request as it was recorded: `kind` says which handler runs `payload`."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime


def _received(row: asyncpg.Record) -> Received:
    return Received(**dict(row))


async def record(
    conn: Connection,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    claim: tuple[int | None, timedelta] | None = None,
) -> int | None:
    """Record a request; its id, or None if a request with this key was recorded before.

    `claim` (owner, lease) records it as already claimed by that replica, which runs it at once:
    one round trip instead of a record and a claim.
    """
    owner, lease = claim if claim else (None, None)
    request_id: int | None = await conn.fetchval(
        """INSERT INTO inbox (key, kind, payload, received_at, state, attempts, leased_until,
                              claimed_by)
           VALUES ($1, $2, $3, $4::timestamptz, CASE WHEN $5 THEN 'running' ELSE 'pending' END,
                   CASE WHEN $5 THEN 1 ELSE 0 END, $4::timestamptz + $6::interval, $7)
           ON CONFLICT (key) DO NOTHING RETURNING id""",
        key,
        kind,
        payload,
        now,
        claim is not None,
        lease,
        owner,
    )
    return request_id


async def claim(
    conn: Connection,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    owner: int | None,
    allowances: Mapping[str, int] | None = None,
) -> list[Received]:
    """Take up to `limit` requests for `owner` (a replica's presence pid), oldest first:
    waiting ones, or ones whose runner is gone (`ABANDONED`); of a kind named in `allowances`,
    at most that many."""
    rows = await conn.fetch(
        f"""UPDATE inbox SET state = 'running', attempts = attempts + 1,
                             leased_until = $1::timestamptz + $2::interval, claimed_by = $4
            WHERE id IN (
                SELECT id FROM inbox
                WHERE id IN (
                    SELECT id FROM (
                        SELECT id, kind, row_number() OVER (PARTITION BY kind ORDER BY id) AS nth
                        FROM inbox
                        WHERE state = 'pending' OR (state = 'running' AND {ABANDONED})) AS waiting
                    WHERE nth <= coalesce(($5::jsonb ->> kind)::integer, $3)
                    ORDER BY id
                    LIMIT $3)
                ORDER BY id
                FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        now,
        lease,
        limit,
        owner,
        dict(allowances or {}),
    )
    return sorted((_received(r) for r in rows), key=lambda request: request.id)


async def finish(
    conn: Connection, request_id: int, *, now: datetime, error: str | None = None
) -> None:
    await conn.execute(
        """UPDATE inbox SET state = $2, done_at = $3, last_error = $4, leased_until = NULL
           WHERE id = $1""",
        request_id,
        "failed" if error else "done",
        now,
        error,
    )


async def waiting(conn: Connection) -> int:
    """Requests not yet run to the end (waiting for a slot, or running)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM inbox WHERE state IN ('pending', 'running')"
    )
    return count
