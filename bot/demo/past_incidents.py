"""A handful of past incidents for the demo's figures, written as the bot writes them: the row
(with a channel name from the day's sequence, so the demo can run again), then the declaration,
a person's first message, an update to mitigating and the resolution in the timeline."""

from datetime import datetime, timedelta

from bot.config import Policy
from bot.domain.naming import channel_name
from bot.domain.timeline import Entry, Kind
from bot.store import incidents, timeline
from bot.store.db import Pool

PAST = (
    # days ago, severity, title, minutes to first response, to mitigation, to resolution
    (27, "sev2", "Search results empty for some queries", 12, 50, 140),
    (23, "sev1", "Checkout errors after the api v2.2 deploy", 4, 25, 95),
    (18, "sev3", "Export jobs late by an hour", 45, None, 300),
    (12, "sev1", "Card payments declined in the EU", 6, 40, 190),
    (9, "sev2", "Login slow for mobile clients", 20, 35, 80),
    (4, "sev2", "Webhooks delivered twice", 9, 30, 260),
)


async def seed(pool: Pool, policy: Policy, now: datetime) -> int:
    """Write `PAST` before `now`; how many incidents were written."""
    async with pool.acquire() as conn, conn.transaction():
        for days, severity, title, respond, mitigate, resolve in PAST:
            declared = now - timedelta(days=days, hours=3)
            day = declared.astimezone(policy.tz).date()
            sequence = await incidents.next_sequence(conn, day)
            incident = await incidents.insert(
                conn,
                channel_id=None,
                channel_name=channel_name(policy.channel_prefix, day, sequence),
                title=title,
                severity=severity,
                declared_by="U0ALICE",
                declared_at=declared,
                commander="U0ALICE",
            )
            entries = [
                Entry(declared, Kind.DECLARED, "U0ALICE", f"Declared {severity}: {title}"),
                Entry(declared + timedelta(minutes=respond), Kind.NOTE, "U0BOB", "Looking"),
            ]
            if mitigate is not None:
                at = declared + timedelta(minutes=mitigate)
                entries.append(
                    Entry(at, Kind.UPDATE, "U0ALICE", "Fix in", data={"status": "mitigating"})
                )
            for entry in entries:
                await timeline.append(conn, incident.id, entry)
            resolved = declared + timedelta(minutes=resolve)
            await incidents.resolve(conn, incident.id, "Fixed", resolved)
            await timeline.append(
                conn, incident.id, Entry(resolved, Kind.RESOLVED, "U0ALICE", "Fixed")
            )
    return len(PAST)
