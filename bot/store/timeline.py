"""The `timeline_entries` table: every fact of an incident, append-only."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.store.db import Connection


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    actor: str | None
    body: str
    slack_ts: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0


async def append(conn: Connection, incident_id: int, entry: Entry) -> int:
    entry_id: int = await conn.fetchval(
        """INSERT INTO timeline_entries (incident_id, at, kind, actor, body, slack_ts, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        incident_id,
        entry.at,
        entry.kind,
        entry.actor,
        entry.body,
        entry.slack_ts,
        entry.data,
    )
    return entry_id


async def entries(conn: Connection, incident_id: int) -> list[Entry]:
    rows = await conn.fetch(
        """SELECT id, at, kind, actor, body, slack_ts, data FROM timeline_entries
           WHERE incident_id = $1 ORDER BY at, id""",
        incident_id,
    )
    return [Entry(**dict(r)) for r in rows]
