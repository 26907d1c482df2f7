"""The `alert_digests` table: one row per incident, locked while its next digest is decided."""

from datetime import datetime

from bot.store.db import Connection


async def take_turn(conn: Connection, incident_id: int) -> datetime | None:
    """Lock the incident's row (created if new) until the transaction ends; when its last
    digest was due, if it had one.

    Whoever finds a digest already waiting leaves its alerts to that digest's follow-up; the
    lock makes the follow-up look only after this transaction has committed them.
    """
    await conn.execute(
        "INSERT INTO alert_digests (incident_id) VALUES ($1) ON CONFLICT DO NOTHING",
        incident_id,
    )
    last: datetime | None = await conn.fetchval(
        "SELECT last_due_at FROM alert_digests WHERE incident_id = $1 FOR UPDATE", incident_id
    )
    return last


async def set_last_due(conn: Connection, incident_id: int, due_at: datetime) -> None:
    await conn.execute(
        "UPDATE alert_digests SET last_due_at = $2 WHERE incident_id = $1", incident_id, due_at
    )
