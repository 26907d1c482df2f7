"""The `display_names` table: users.info answers, shared by every replica."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.store.db import Connection


async def fresh(conn: Connection, user_ids: Iterable[str], since: datetime) -> dict[str, str]:
    """The cached names of `user_ids` fetched at or after `since`."""
    rows = await conn.fetch(
        "SELECT user_id, name FROM display_names WHERE user_id = ANY($1::text[]) AND fetched_at >= $2",
        list(user_ids),
        since,
    )
    return {r["user_id"]: r["name"] for r in rows}


async def remember(conn: Connection, names: Mapping[str, str], at: datetime) -> None:
    await conn.executemany(
        """INSERT INTO display_names (user_id, name, fetched_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, fetched_at = excluded.fetched_at""",
        [(user_id, name, at) for user_id, name in names.items()],
    )
