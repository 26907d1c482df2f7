"""The `status_statements` table: each public statement approved, and what Statuspage did with it."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bot.domain.statements import ComponentState, PublicStatus
from bot.store.db import Connection

_COLUMNS = """id, incident_id, request_id, status, name, body, components, requested_by,
    approved_by, approved_at, is_drill, public_id, shortlink, published_at, refused"""


@dataclass(frozen=True)
class StatementRow:
    id: int
    incident_id: int
    request_id: int
    status: PublicStatus
    name: str
    body: str
    components: dict[str, ComponentState]
    """Component name (the policy's) → the state the statement gives it."""
    requested_by: str
    approved_by: tuple[str, ...]
    approved_at: datetime
    is_drill: bool
    public_id: str | None
    shortlink: str | None
    published_at: datetime | None
    refused: str | None


def _row(row: asyncpg.Record) -> StatementRow:
    values = dict(row)
    return StatementRow(
        **{
            **values,
            "status": PublicStatus(values["status"]),
            "components": {k: ComponentState(v) for k, v in values["components"].items()},
            "approved_by": tuple(values["approved_by"]),
        }
    )


async def insert(
    conn: Connection,
    *,
    incident_id: int,
    request_id: int,
    status: PublicStatus,
    name: str,
    body: str,
    components: dict[str, ComponentState],
    requested_by: str,
    approved_by: tuple[str, ...],
    approved_at: datetime,
    is_drill: bool,
) -> StatementRow:
    row = await conn.fetchrow(
        f"""INSERT INTO status_statements (incident_id, request_id, status, name, body,
                components, requested_by, approved_by, approved_at, is_drill)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_COLUMNS}""",
        incident_id,
        request_id,
        status.value,
        name,
        body,
        {k: v.value for k, v in components.items()},
        requested_by,
        list(approved_by),
        approved_at,
        is_drill,
    )
    assert row is not None  # noqa: S101 - INSERT … RETURNING returns its row
    return _row(row)


async def of_incident(conn: Connection, incident_id: int) -> list[StatementRow]:
    """Every statement of an incident, in the order they were approved."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM status_statements WHERE incident_id = $1 ORDER BY id",
        incident_id,
    )
    return [_row(row) for row in rows]


async def public_incident(conn: Connection, incident_id: int) -> tuple[str, str | None] | None:
    """The public incident's id and shortlink, once Statuspage has answered a create."""
    row = await conn.fetchrow(
        """SELECT public_id, shortlink FROM status_statements
           WHERE incident_id = $1 AND public_id IS NOT NULL ORDER BY id LIMIT 1""",
        incident_id,
    )
    return (row["public_id"], row["shortlink"]) if row else None


async def published(
    conn: Connection, statement_id: int, *, public_id: str, shortlink: str | None, at: datetime
) -> StatementRow | None:
    """Keep what Statuspage answered; None if the statement was already marked published."""
    row = await conn.fetchrow(
        f"""UPDATE status_statements SET public_id = $2, shortlink = $3, published_at = $4
            WHERE id = $1 AND published_at IS NULL RETURNING {_COLUMNS}""",
        statement_id,
        public_id,
        shortlink,
        at,
    )
    return _row(row) if row else None


async def refused(conn: Connection, statement_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE status_statements SET refused = $2 WHERE id = $1 AND published_at IS NULL",
        statement_id,
        reason,
    )
