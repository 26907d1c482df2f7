"""The `alert_groups` table: one locked row per alert group decides declare, attach or offer.

Every function but `lock` and `release` expects the row to be locked by the caller's
transaction; a declaration is recorded under that lock, so `declaring_since` stays NULL now (it
is read only for rows written before declarations became one transaction).
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


async def start_offer(conn: Connection, key: str, now: datetime) -> None:
    """Mark the group as offered; its cycle starts now."""
    await conn.execute(
        """UPDATE alert_groups SET offered_at = $2, declaring_since = NULL,
               cycle_started_at = $2, incident_id = NULL
           WHERE group_key = $1""",
        key,
        now,
    )


async def settle(conn: Connection, key: str, incident_id: int, now: datetime) -> datetime:
    """The group's incident is declared: later alerts attach. Returns when the group's cycle
    began, so the alerts it gathered since come along.

    A group with no incident (new, offered, or released by a failed declaration) keeps its
    cycle; a group whose last incident was resolved starts a new one now.
    """
    started: datetime = await conn.fetchval(
        """UPDATE alert_groups SET incident_id = $2, declaring_since = NULL, offered_at = NULL,
               cycle_started_at = CASE WHEN incident_id IS NULL THEN cycle_started_at ELSE $3 END
           WHERE group_key = $1 RETURNING cycle_started_at""",
        key,
        incident_id,
        now,
    )
    return started


async def any_for(conn: Connection, incident_id: int) -> bool:
    """Whether alerts can attach to the incident: only one a group declared has any."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM alert_groups WHERE incident_id = $1)", incident_id
    )
    return found


async def release(conn: Connection, incident_id: int) -> None:
    """The incident's declaration was given up: its groups' next alerts declare again.

    Unlike the other functions this one locks the rows itself (the groups are found by their
    incident).
    """
    await conn.execute(
        "UPDATE alert_groups SET incident_id = NULL WHERE incident_id = $1", incident_id
    )


async def withdraw_offer(conn: Connection, key: str) -> None:
    """The offer could not be posted: the next alert of the group offers again."""
    await conn.execute("UPDATE alert_groups SET offered_at = NULL WHERE group_key = $1", key)
