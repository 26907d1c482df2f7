"""The `incidents` and `channel_sequences` tables."""

from collections.abc import Collection
from datetime import date, datetime

import asyncpg

from bot.domain.commands import Role
from bot.domain.incident import Incident
from bot.domain.status import Status
from bot.store.db import Connection

_COLUMNS = """id, channel_id, channel_name, title, severity, status, declared_by, declared_at,
    commander, lead, comms, update_count, last_update_at, resolved_at, resolution,
    drill AS is_drill"""

_ROLE_COLUMNS = {Role.COMMANDER: "commander", Role.LEAD: "lead", Role.COMMS: "comms"}


def _incident(row: asyncpg.Record | None) -> Incident:
    if row is None:
        raise LookupError("incident row vanished")
    values = dict(row)
    values["status"] = Status(values["status"])
    values["channel_id"] = values["channel_id"] or ""  # reserved: Slack has not made it yet
    return Incident(**values)


INCIDENT = "incident"
DRILL = "drill"


async def next_sequence(conn: Connection, day: date, kind: str = INCIDENT) -> int:
    """The next channel number for `day`, unique across replicas (starts at 1). Each `kind`
    (`incident`, `drill`) counts on its own: a drill never takes an incident's number."""
    seq: int = await conn.fetchval(
        """INSERT INTO channel_sequences (kind, day, last_seq) VALUES ($2, $1, 1)
           ON CONFLICT (kind, day) DO UPDATE SET last_seq = channel_sequences.last_seq + 1
           RETURNING last_seq""",
        day,
        kind,
    )
    return seq


async def insert(
    conn: Connection,
    *,
    channel_id: str | None,
    channel_name: str,
    title: str,
    severity: str,
    declared_by: str | None,
    declared_at: datetime,
    commander: str | None,
    is_drill: bool = False,
) -> Incident:
    row = await conn.fetchrow(
        f"""INSERT INTO incidents (channel_id, channel_name, title, severity, status,
                                   declared_by, declared_at, commander, drill)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_COLUMNS}""",
        channel_id,
        channel_name,
        title,
        severity,
        Status.INVESTIGATING.value,
        declared_by,
        declared_at,
        commander,
        is_drill,
    )
    return _incident(row)


async def by_channel(
    conn: Connection, channel_id: str, *, for_update: bool = False
) -> Incident | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM incidents WHERE channel_id = $1{lock}", channel_id
    )
    return _incident(row) if row else None


async def list_open(conn: Connection, limit: int = 50) -> list[Incident]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM incidents WHERE status <> 'resolved'
            ORDER BY declared_at DESC, id DESC LIMIT $1""",
        limit,
    )
    return [_incident(r) for r in rows]


async def record_update(
    conn: Connection, incident_id: int, status: Status, at: datetime
) -> Incident:
    row = await conn.fetchrow(
        f"""UPDATE incidents SET status = $2, update_count = update_count + 1, last_update_at = $3
            WHERE id = $1 RETURNING {_COLUMNS}""",
        incident_id,
        status.value,
        at,
    )
    return _incident(row)


async def set_severity(conn: Connection, incident_id: int, severity: str) -> Incident:
    row = await conn.fetchrow(
        f"UPDATE incidents SET severity = $2 WHERE id = $1 RETURNING {_COLUMNS}",
        incident_id,
        severity,
    )
    return _incident(row)


async def assign(conn: Connection, incident_id: int, role: Role, user_id: str) -> Incident:
    column = _ROLE_COLUMNS[role]
    row = await conn.fetchrow(
        f"UPDATE incidents SET {column} = $2 WHERE id = $1 RETURNING {_COLUMNS}",
        incident_id,
        user_id,
    )
    return _incident(row)


async def resolve(conn: Connection, incident_id: int, resolution: str, at: datetime) -> Incident:
    row = await conn.fetchrow(
        f"""UPDATE incidents SET status = 'resolved', resolution = $2, resolved_at = $3
            WHERE id = $1 RETURNING {_COLUMNS}""",
        incident_id,
        resolution,
        at,
    )
    return _incident(row)


async def set_channel(
    conn: Connection, incident_id: int, channel_id: str, *, pinned_ts: str | None = None
) -> Incident:
    """Slack made the reserved channel: the incident is reachable by its id from now on; with
    `pinned_ts`, its first message is in it too."""
    row = await conn.fetchrow(
        f"""UPDATE incidents SET channel_id = $2, pinned_ts = coalesce($3, pinned_ts)
            WHERE id = $1 RETURNING {_COLUMNS}""",
        incident_id,
        channel_id,
        pinned_ts,
    )
    return _incident(row)


async def rename(conn: Connection, incident_id: int, channel_name: str) -> None:
    """The reserved name was taken in Slack (a channel made by hand): reserve another."""
    await conn.execute(
        "UPDATE incidents SET channel_name = $2 WHERE id = $1", incident_id, channel_name
    )


async def set_pinned_ts(conn: Connection, incident_id: int, ts: str) -> None:
    await conn.execute("UPDATE incidents SET pinned_ts = $2 WHERE id = $1", incident_id, ts)


async def by_reference(conn: Connection, reference: str) -> Incident | None:
    """The incident a person names: by its channel (`#incident-…`, `incident-…`, a channel id)
    or by its number (`12`)."""
    name = reference.removeprefix("#")
    number = int(name) if name.isdecimal() and len(name) < 18 else None
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM incidents
            WHERE channel_id = $1 OR channel_name = $1 OR id = $2""",
        name,
        number,
    )
    return _incident(row) if row else None


async def by_id(conn: Connection, incident_id: int, *, for_update: bool = False) -> Incident | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM incidents WHERE id = $1{lock}", incident_id)
    return _incident(row) if row else None


async def pinned_ts(conn: Connection, incident_id: int) -> str | None:
    """The ts of the incident's first message (pinned), which alert digests reply under."""
    ts: str | None = await conn.fetchval(
        "SELECT pinned_ts FROM incidents WHERE id = $1", incident_id
    )
    return ts


async def drills_among(conn: Connection, incident_ids: Collection[int]) -> set[int]:
    """Which of `incident_ids` are drills (their messages are marked as such)."""
    rows = await conn.fetch(
        "SELECT id FROM incidents WHERE id = ANY($1::bigint[]) AND drill", list(incident_ids)
    )
    return {row["id"] for row in rows}
