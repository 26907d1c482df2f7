"""The `alert_posting` table: a lease naming the one poster of an incident's alert digests."""

from datetime import datetime, timedelta

from bot.store.db import Connection


async def take(
    conn: Connection, incident_id: int, holder: str, *, now: datetime, lease: timedelta
) -> bool:
    """True if `holder` now posts for the incident: nobody did, or the last lease lapsed."""
    taken = await conn.fetchval(
        """INSERT INTO alert_posting (incident_id, holder, leased_until)
           VALUES ($1, $2, $3::timestamptz + $4::interval)
           ON CONFLICT (incident_id) DO UPDATE
               SET holder = EXCLUDED.holder, leased_until = EXCLUDED.leased_until
               WHERE alert_posting.leased_until < $3 OR alert_posting.holder = $2
           RETURNING true""",
        incident_id,
        holder,
        now,
        lease,
    )
    return bool(taken)


async def release(conn: Connection, incident_id: int, holder: str) -> None:
    await conn.execute(
        "DELETE FROM alert_posting WHERE incident_id = $1 AND holder = $2", incident_id, holder
    )
