"""The `slack_deliveries` table: the first replica to claim a delivery's key handles it."""

from datetime import datetime

from bot.store.db import Connection


async def claim(conn: Connection, key: str, at: datetime) -> bool:
    """True for the first claim of `key`; False for a retry or a duplicate delivery."""
    claimed = await conn.fetchval(
        "INSERT INTO slack_deliveries (key, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        key,
        at,
    )
    return bool(claimed)
