"""The `handled_keys` table: the first claim of a key wins, across replicas and restarts.

Keys name what must happen once: a Slack delivery (`event:<event_id>`, `command:<trigger_id>`),
or a job's effect (`escalation:<incident>:<step>`), so a retry or a job run twice acts once.
"""

from datetime import datetime

from bot.store.db import Connection


async def claim(conn: Connection, key: str, at: datetime) -> bool:
    """True for the first claim of `key`; False for a retry, a duplicate or a second run."""
    claimed = await conn.fetchval(
        "INSERT INTO handled_keys (key, claimed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        key,
        at,
    )
    return bool(claimed)
