"""The `timeline_entries` table: every fact of an incident, append-only."""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from bot.domain.timeline import Entry, Kind
from bot.store.db import Connection

__all__ = ["Entry", "Stamped", "append", "entries", "latest", "of_kinds", "stamp_channel_events"]

_COLUMNS = "id, at, kind, actor, body, slack_ts, data"


class Stamped(StrEnum):
    """What became of a channel event offered to the timeline."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    NOT_AN_INCIDENT = "not_an_incident"


async def append(conn: Connection, incident_id: int, entry: Entry) -> int:
    entry_id: int = await conn.fetchval(
        """INSERT INTO timeline_entries (incident_id, at, kind, actor, body, slack_ts, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        incident_id,
        entry.at,
        entry.kind.value,
        entry.actor,
        entry.body,
        entry.slack_ts,
        entry.data,
    )
    return entry_id


# One statement for a whole batch — one round trip, one commit: find each event's incident, claim
# its delivery key, append its entry. A delivery seen before claims nothing and appends nothing;
# nor does a second stamp of one message (the partial unique index), whatever its event id.
_STAMP = """
WITH batch AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[])
        AS b (channel_id, key, at, kind, actor, body, slack_ts, data)
),
known AS (SELECT batch.*, incidents.id AS incident_id FROM batch JOIN incidents USING (channel_id)),
claimed AS (
    INSERT INTO handled_keys (key, claimed_at) SELECT key, $9 FROM known
    ON CONFLICT DO NOTHING RETURNING key
),
stamped AS (
    INSERT INTO timeline_entries (incident_id, at, kind, actor, body, slack_ts, data)
    SELECT incident_id, at, kind, actor, body, slack_ts, data::jsonb FROM known JOIN claimed USING (key)
    ORDER BY at
    ON CONFLICT (incident_id, slack_ts) WHERE kind = 'message' DO NOTHING
    RETURNING incident_id, kind, slack_ts, at
)
SELECT known.key, EXISTS (
    SELECT FROM stamped WHERE stamped.incident_id = known.incident_id AND stamped.kind = known.kind
        AND stamped.slack_ts IS NOT DISTINCT FROM known.slack_ts AND stamped.at = known.at
) AS is_new
FROM known
"""


async def stamp_channel_events(
    conn: Connection, events: Mapping[str, tuple[str, Entry]], received_at: datetime
) -> dict[str, Stamped]:
    """Append each `{delivery key: (channel id, entry)}` to its channel's incident, once per key
    and once per message; say what became of each."""
    columns: list[list[Any]] = [[] for _ in range(8)]
    for key, (channel_id, e) in events.items():
        row = (channel_id, key, e.at, e.kind.value, e.actor, e.body, e.slack_ts, json.dumps(e.data))
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    rows = await conn.fetch(_STAMP, *columns, received_at)
    found = {r["key"]: Stamped.RECORDED if r["is_new"] else Stamped.DUPLICATE for r in rows}
    return {key: found.get(key, Stamped.NOT_AN_INCIDENT) for key in events}


async def entries(conn: Connection, incident_id: int) -> list[Entry]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM timeline_entries WHERE incident_id = $1 ORDER BY at, id",
        incident_id,
    )
    return [_entry(r) for r in rows]


async def of_kinds(conn: Connection, incident_id: int, kinds: Iterable[Kind]) -> list[Entry]:
    """The incident's entries of `kinds`, in timeline order (the pages it sent, say)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM timeline_entries
            WHERE incident_id = $1 AND kind = ANY($2::text[]) ORDER BY at, id""",
        incident_id,
        [kind.value for kind in kinds],
    )
    return [_entry(r) for r in rows]


async def latest(conn: Connection, incident_id: int, count: int) -> tuple[list[Entry], int]:
    """The last `count` entries, oldest first, and how many entries there are in all."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM (
                SELECT * FROM timeline_entries WHERE incident_id = $1
                ORDER BY at DESC, id DESC LIMIT $2
            ) AS newest ORDER BY at, id""",
        incident_id,
        count,
    )
    total: int = await conn.fetchval(
        "SELECT count(*) FROM timeline_entries WHERE incident_id = $1", incident_id
    )
    return [_entry(r) for r in rows], total


def _entry(row: asyncpg.Record) -> Entry:
    """A stored row as an entry: the `kind` column's text becomes its `Kind`."""
    return Entry(**{**dict(row), "kind": Kind(row["kind"])})
