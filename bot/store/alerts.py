"""The `alerts` table: every alert received, the incident it belongs to, whether it was shown."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bot.domain.alerts import Alert
from bot.store.db import Connection

_COLUMNS = """id, received_at, source, group_key, fingerprint, status, title, labels, annotations,
    link, starts_at, incident_id"""


@dataclass(frozen=True)
class StoredAlert:
    id: int
    received_at: datetime
    incident_id: int | None
    alert: Alert


def _stored(row: asyncpg.Record) -> StoredAlert:
    values = dict(row)
    ids = {key: values.pop(key) for key in ("id", "received_at", "incident_id")}
    return StoredAlert(alert=Alert.model_validate(values), **ids)


async def insert(
    conn: Connection,
    alert: Alert,
    *,
    received_at: datetime,
    incident_id: int | None,
    posted_at: datetime | None = None,
) -> int:
    alert_id: int = await conn.fetchval(
        """INSERT INTO alerts (received_at, source, group_key, fingerprint, status, title, labels,
                               annotations, link, starts_at, incident_id, posted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id""",
        received_at,
        alert.source,
        alert.group_key,
        alert.fingerprint,
        alert.status,
        alert.title,
        alert.labels,
        alert.annotations,
        alert.link,
        alert.starts_at,
        incident_id,
        posted_at,
    )
    return alert_id


async def is_repeat(conn: Connection, incident_id: int, alert: Alert) -> bool:
    """Whether the incident's latest alert of this fingerprint already says the same: same
    status, same start. Alertmanager re-sends a group's unchanged alerts with every change."""
    same: bool | None = await conn.fetchval(
        """SELECT status = $3 AND starts_at IS NOT DISTINCT FROM $4 FROM alerts
           WHERE incident_id = $1 AND fingerprint = $2 ORDER BY id DESC LIMIT 1""",
        incident_id,
        alert.fingerprint,
        alert.status,
        alert.starts_at,
    )
    return bool(same)


async def get(conn: Connection, alert_id: int) -> StoredAlert | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM alerts WHERE id = $1", alert_id)
    return _stored(row) if row else None


async def open_incident_of_fingerprint(conn: Connection, fingerprint: str) -> int | None:
    """The open incident an alert with this fingerprint already belongs to, if any."""
    incident_id: int | None = await conn.fetchval(
        """SELECT a.incident_id FROM alerts a JOIN incidents i ON i.id = a.incident_id
           WHERE a.fingerprint = $1 AND i.status <> 'resolved'
           ORDER BY a.id DESC LIMIT 1""",
        fingerprint,
    )
    return incident_id


async def attach(conn: Connection, alert_id: int, incident_id: int, *, posted_at: datetime) -> None:
    """Put an alert into an incident as already shown (it is in the incident's first message)."""
    await conn.execute(
        "UPDATE alerts SET incident_id = $2, posted_at = $3 WHERE id = $1",
        alert_id,
        incident_id,
        posted_at,
    )


async def adopt(conn: Connection, group_key: str, incident_id: int, since: datetime) -> list[int]:
    """Give the group's alerts received since `since` and not yet in an incident to `incident_id`."""
    rows = await conn.fetch(
        """UPDATE alerts SET incident_id = $2
           WHERE group_key = $1 AND incident_id IS NULL AND received_at >= $3 RETURNING id""",
        group_key,
        incident_id,
        since,
    )
    return sorted(r["id"] for r in rows)


async def unposted(conn: Connection, incident_id: int, limit: int) -> list[StoredAlert]:
    """The incident's alerts not shown in Slack yet, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM alerts WHERE incident_id = $1 AND posted_at IS NULL
            ORDER BY id LIMIT $2""",
        incident_id,
        limit,
    )
    return [_stored(r) for r in rows]


async def mark_posted(conn: Connection, alert_ids: list[int], at: datetime) -> None:
    await conn.execute(
        "UPDATE alerts SET posted_at = $2 WHERE id = ANY($1::bigint[]) AND posted_at IS NULL",
        alert_ids,
        at,
    )


async def still_firing(conn: Connection, incident_id: int) -> int:
    """How many of the incident's alerts (by fingerprint) last reported firing."""
    count: int = await conn.fetchval(
        """SELECT count(*) FROM (
               SELECT DISTINCT ON (fingerprint) status FROM alerts
               WHERE incident_id = $1 ORDER BY fingerprint, id DESC) latest
           WHERE status = 'firing'""",
        incident_id,
    )
    return count


async def detach(conn: Connection, incident_id: int) -> None:
    """The incident's declaration was given up: its alerts belong to no incident and were
    never shown, so the group's next declaration takes them along."""
    await conn.execute(
        "UPDATE alerts SET incident_id = NULL, posted_at = NULL WHERE incident_id = $1",
        incident_id,
    )
