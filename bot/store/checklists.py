"""The `checklists` and `checklist_items` tables: checklists posted in incident channels.

A change of ticks locks its checklist's row (`get(..., for_update=True)`), so the changes of one
checklist take turns and each re-render reads every change committed before it; each tick or
untick is still a conditional UPDATE, so a click that lost a race changes nothing.
"""

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.domain.checklists import Checklist, Item
from bot.store.db import Connection

_COLUMNS = """id, incident_id, name, title, post_on, channel_id, message_ts, is_lost, revision,
    posted_at"""


async def _items(conn: Connection, checklist_id: int) -> tuple[Item, ...]:
    rows = await conn.fetch(
        """SELECT position, text, checked_by, checked_at FROM checklist_items
           WHERE checklist_id = $1 ORDER BY position""",
        checklist_id,
    )
    return tuple(Item(**dict(row)) for row in rows)


async def _checklist(conn: Connection, row: asyncpg.Record | None) -> Checklist | None:
    if row is None:
        return None
    return Checklist(**dict(row), items=await _items(conn, row["id"]))


async def insert(
    conn: Connection,
    *,
    incident_id: int,
    name: str,
    title: str,
    post_on: str,
    channel_id: str,
    items: Sequence[str],
    now: datetime,
) -> Checklist | None:
    """Snapshot a checklist for an incident; None if it has one of that name already."""
    row = await conn.fetchrow(
        f"""INSERT INTO checklists (incident_id, name, title, post_on, channel_id, posted_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (incident_id, name) DO NOTHING RETURNING {_COLUMNS}""",
        incident_id,
        name,
        title,
        post_on,
        channel_id,
        now,
    )
    if row is None:
        return None
    await conn.executemany(
        "INSERT INTO checklist_items (checklist_id, position, text) VALUES ($1, $2, $3)",
        [(row["id"], position, text) for position, text in enumerate(items)],
    )
    return await _checklist(conn, row)


async def get(conn: Connection, checklist_id: int, *, for_update: bool = False) -> Checklist | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checklists WHERE id = $1{lock}", checklist_id
    )
    return await _checklist(conn, row)


async def by_name(
    conn: Connection, incident_id: int, name: str, *, for_update: bool = False
) -> Checklist | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checklists WHERE incident_id = $1 AND name = $2{lock}",
        incident_id,
        name,
    )
    return await _checklist(conn, row)


async def of_incident(conn: Connection, incident_id: int) -> list[Checklist]:
    """An incident's checklists, in the order they were posted."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM checklists WHERE incident_id = $1 ORDER BY id", incident_id
    )
    return [found for row in rows if (found := await _checklist(conn, row)) is not None]


async def check(
    conn: Connection, checklist_id: int, position: int, user: str, now: datetime
) -> str | None:
    """Tick an unticked item; its text, or None if it was ticked already."""
    text: str | None = await conn.fetchval(
        """UPDATE checklist_items SET checked_by = $3, checked_at = $4
           WHERE checklist_id = $1 AND position = $2 AND checked_by IS NULL RETURNING text""",
        checklist_id,
        position,
        user,
        now,
    )
    return text


async def uncheck(conn: Connection, checklist_id: int, position: int) -> str | None:
    """Untick a ticked item; its text, or None if it was not ticked."""
    text: str | None = await conn.fetchval(
        """UPDATE checklist_items SET checked_by = NULL, checked_at = NULL
           WHERE checklist_id = $1 AND position = $2 AND checked_by IS NOT NULL RETURNING text""",
        checklist_id,
        position,
    )
    return text


async def changed(conn: Connection, checklist_id: int) -> None:
    """One more revision: the message's blocks get new ids, so Slack redraws its checkboxes."""
    await conn.execute("UPDATE checklists SET revision = revision + 1 WHERE id = $1", checklist_id)


async def set_message(conn: Connection, checklist_id: int, ts: str) -> Checklist | None:
    """Keep the ts of the checklist's message (delivered, or seen in a click on it)."""
    row = await conn.fetchrow(
        f"""UPDATE checklists SET message_ts = $2, is_lost = false WHERE id = $1
            RETURNING {_COLUMNS}""",
        checklist_id,
        ts,
    )
    return await _checklist(conn, row)


async def lose(conn: Connection, checklist_id: int) -> None:
    """Slack refused the checklist's post for good: the next request posts it again."""
    await conn.execute(
        "UPDATE checklists SET is_lost = true, message_ts = NULL WHERE id = $1", checklist_id
    )


async def repost(conn: Connection, checklist_id: int, now: datetime) -> None:
    """A lost checklist is posted again: it waits for its new message's ts."""
    await conn.execute(
        "UPDATE checklists SET is_lost = false, message_ts = NULL, posted_at = $2 WHERE id = $1",
        checklist_id,
        now,
    )
