"""The `alert_groups` table: one locked row per alert group decides declare, attach or wait.

Every function but `lock` expects the row to be locked by the caller's transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from bot.domain.alert_routes import GroupState
from bot.store import incidents
from bot.store.db import Connection


@dataclass(frozen=True)
class Group:
    key: str
    state: GroupState
    cycle_started_at: datetime


async def lock(conn: Connection, key: str, now: datetime) -> Group:
    """The group's row, created if new, locked until the transaction ends.

    The incident's status is read by a second statement, after the lock is held: a statement
    that waited for the lock re-reads only the locked row, so a join in it could pair the
    incident a concurrent declarer just settled with that incident's absence.
    """
    await conn.execute(
        """INSERT INTO alert_groups (group_key, cycle_started_at) VALUES ($1, $2)
           ON CONFLICT (group_key) DO NOTHING""",
        key,
        now,
    )
    row = await conn.fetchrow(
        """SELECT incident_id, declaring_since, offered_at, cycle_started_at
           FROM alert_groups WHERE group_key = $1 FOR UPDATE""",
        key,
    )
    if row is None:
        raise LookupError(f"alert group {key!r} vanished")
    incident = await incidents.by_id(conn, row["incident_id"]) if row["incident_id"] else None
    is_open = incident is not None and incident.is_open
    state = GroupState(row["incident_id"], is_open, row["declaring_since"], row["offered_at"])
    return Group(key, state, row["cycle_started_at"])


async def start_declaring(conn: Connection, key: str, now: datetime) -> None:
    """Mark the group as being declared.

    A new cycle starts now, unless the group was offered or a lapsed declaration is taken over:
    then the alerts received since the offer (or the first attempt) come along.
    """
    await conn.execute(
        """UPDATE alert_groups SET declaring_since = $2, offered_at = NULL,
               cycle_started_at = CASE
                   WHEN incident_id IS NULL AND (offered_at IS NOT NULL OR declaring_since IS NOT NULL)
                   THEN cycle_started_at ELSE $2 END,
               incident_id = NULL
           WHERE group_key = $1""",
        key,
        now,
    )


async def start_offer(conn: Connection, key: str, now: datetime) -> None:
    """Mark the group as offered; its cycle starts now."""
    await conn.execute(
        """UPDATE alert_groups SET offered_at = $2, declaring_since = NULL,
               cycle_started_at = $2, incident_id = NULL
           WHERE group_key = $1""",
        key,
        now,
    )


async def settle(conn: Connection, key: str, incident_id: int) -> datetime:
    """The group's incident exists: later alerts attach. Returns when the group's cycle began."""
    started: datetime = await conn.fetchval(
        """UPDATE alert_groups SET incident_id = $2, declaring_since = NULL, offered_at = NULL
           WHERE group_key = $1 RETURNING cycle_started_at""",
        key,
        incident_id,
    )
    return started


async def abandon(conn: Connection, key: str) -> None:
    """The declaration failed: the next alert of the group tries again."""
    await conn.execute("UPDATE alert_groups SET declaring_since = NULL WHERE group_key = $1", key)


async def withdraw_offer(conn: Connection, key: str) -> None:
    """The offer could not be posted: the next alert of the group offers again."""
    await conn.execute("UPDATE alert_groups SET offered_at = NULL WHERE group_key = $1", key)
