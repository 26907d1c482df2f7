"""The `followups` table: an incident's action items, open until done or dropped.

A follow-up leaves `open` once, by a conditional UPDATE (`close`): of two clicks at once, or a
Done after a Drop, one changes the row and the other is told what became of it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from bot.domain.followups import Followup, State
from bot.store.db import Connection

_COLUMNS = (
    "id, incident_id, text, owner_id, due_on, state, drop_reason, created_by, created_at,"
    " closed_by, closed_at, message_ts, message_channel, export_url, source_entry"
)


def _followup(row: asyncpg.Record | Mapping[str, Any]) -> Followup:
    values = dict(row)
    return Followup(**{**values, "state": State(values["state"])})


@dataclass(frozen=True)
class Listed:
    """A follow-up with the incident it belongs to, as `/incident followups` shows it."""

    followup: Followup
    channel_id: str
    channel_name: str
    is_drill: bool


async def insert(
    conn: Connection,
    *,
    incident_id: int,
    text: str,
    owner_id: str | None,
    due_on: date | None,
    created_by: str,
    now: datetime,
    source_entry: int | None = None,
) -> Followup | None:
    """Add an open follow-up; None when one was already read from `source_entry`."""
    row = await conn.fetchrow(
        f"""INSERT INTO followups (incident_id, text, owner_id, due_on, created_by, created_at,
                                   source_entry)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (source_entry) DO NOTHING
            RETURNING {_COLUMNS}""",
        incident_id,
        text,
        owner_id,
        due_on,
        created_by,
        now,
        source_entry,
    )
    return _followup(row) if row else None


async def get(conn: Connection, followup_id: int, *, for_update: bool = False) -> Followup | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM followups WHERE id = $1{lock}", followup_id)
    return _followup(row) if row else None


async def close(
    conn: Connection,
    followup_id: int,
    *,
    state: State,
    by: str,
    now: datetime,
    reason: str | None = None,
) -> Followup | None:
    """Mark an open follow-up done or dropped; None if it was not open any more."""
    row = await conn.fetchrow(
        f"""UPDATE followups SET state = $2, closed_by = $3, closed_at = $4, drop_reason = $5
            WHERE id = $1 AND state = 'open'
            RETURNING {_COLUMNS}""",
        followup_id,
        state.value,
        by,
        now,
        reason,
    )
    return _followup(row) if row else None


async def set_message(conn: Connection, followup_id: int, channel: str, ts: str) -> Followup | None:
    row = await conn.fetchrow(
        f"""UPDATE followups SET message_channel = $2, message_ts = $3 WHERE id = $1
            RETURNING {_COLUMNS}""",
        followup_id,
        channel,
        ts,
    )
    return _followup(row) if row else None


async def set_export(conn: Connection, followup_id: int, url: str) -> Followup | None:
    row = await conn.fetchrow(
        f"UPDATE followups SET export_url = $2 WHERE id = $1 RETURNING {_COLUMNS}",
        followup_id,
        url,
    )
    return _followup(row) if row else None


async def of_incident(conn: Connection, incident_id: int) -> list[Followup]:
    """An incident's follow-ups in the order they were recorded (the post-mortem's list)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM followups WHERE incident_id = $1 ORDER BY id", incident_id
    )
    return [_followup(r) for r in rows]


async def open_ones(
    conn: Connection,
    *,
    owner_id: str | None = None,
    due_before: date | None = None,
    limit: int,
) -> tuple[list[Listed], int]:
    """Open follow-ups across incidents, soonest due first (undated last), at most `limit`,
    and how many there are in all: of one owner, and/or due before a date (the overdue)."""
    rows = await conn.fetch(
        f"""SELECT {", ".join("f." + c.strip() for c in _COLUMNS.split(","))},
                   i.channel_id, i.channel_name, i.drill AS is_drill, count(*) OVER () AS total
            FROM followups f JOIN incidents i ON i.id = f.incident_id
            WHERE f.state = 'open'
              AND ($1::text IS NULL OR f.owner_id = $1)
              AND ($2::date IS NULL OR f.due_on < $2)
            ORDER BY f.due_on NULLS LAST, f.id
            LIMIT $3""",
        owner_id,
        due_before,
        limit,
    )
    listed = []
    for row in rows:
        values = dict(row)
        context = [values.pop(k) for k in ("channel_id", "channel_name", "is_drill", "total")]
        listed.append(Listed(_followup(values), str(context[0]), str(context[1]), bool(context[2])))
    return listed, int(rows[0]["total"]) if rows else 0
