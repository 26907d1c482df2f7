"""Past incidents written as the bot writes them: the row, then its timeline entries (the
declaration, a person's first message, an update to mitigating, the resolution)."""

import itertools
from datetime import date, datetime, timedelta

from bot.domain.timeline import Entry, Kind
from bot.store import incidents, timeline
from bot.store.db import Connection

_numbers = itertools.count(1)


async def seed_incident(
    conn: Connection,
    severity: str,
    declared_at: datetime,
    *,
    respond: timedelta | None = None,
    mitigate: timedelta | None = None,
    resolve: timedelta | None = None,
    drill: bool = False,
    title: str = "Checkout errors",
) -> int:
    number = next(_numbers)
    incident = await incidents.insert(
        conn,
        channel_id=f"C0PAST{number:05d}",
        channel_name=f"{'drill' if drill else 'incident'}-{declared_at:%Y%m%d}-{number:03d}",
        title=title,
        severity=severity,
        declared_by="U0ALICE",
        declared_at=declared_at,
        commander="U0ALICE",
        is_drill=drill,
    )
    entries = [Entry(declared_at, Kind.DECLARED, "U0ALICE", f"Declared {severity}: {title}")]
    if respond is not None:
        at = declared_at + respond
        entries.append(Entry(at, Kind.MESSAGE, "U0BOB", "looking", slack_ts=f"{at.timestamp()}"))
    if mitigate is not None:
        entries.append(
            Entry(
                declared_at + mitigate,
                Kind.UPDATE,
                "U0ALICE",
                "rolled back",
                data={"status": "mitigating", "number": 1},
            )
        )
    for entry in entries:
        await timeline.append(conn, incident.id, entry)
    if resolve is not None:
        await incidents.resolve(conn, incident.id, "Rolled back", declared_at + resolve)
        await timeline.append(
            conn, incident.id, Entry(declared_at + resolve, Kind.RESOLVED, "U0ALICE", "Rolled back")
        )
    return incident.id


async def seed_followup(
    conn: Connection,
    incident_id: int,
    created_at: datetime,
    *,
    state: str = "open",
    owner: str | None = "U0BOB",
    due_on: date | None = None,
    closed_at: datetime | None = None,
    text: str = "Add a canary for the token refresh",
) -> None:
    await conn.execute(
        """INSERT INTO followups (incident_id, text, owner_id, due_on, state, created_by,
                                  created_at, closed_by, closed_at)
           VALUES ($1, $2, $3, $4, $5, 'U0ALICE', $6, $7, $8)""",
        incident_id,
        text,
        owner,
        due_on,
        state,
        created_at,
        "U0ALICE" if closed_at else None,
        closed_at,
    )
