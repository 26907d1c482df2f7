"""Reads for the figures (`/incident stats`, the weekly review, /metrics): incidents with their
key times kept on the row (migration 0017), and follow-up counts from the `followups` table."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.figures import FollowupCounts, IncidentTimes, Trend
from bot.store.db import Connection

_TIMES = """id, coalesce(channel_id, '') AS channel_id, channel_name, title, severity,
    drill AS is_drill, declared_at, first_response_at, mitigated_at, resolved_at"""


async def declared_between(conn: Connection, start: datetime, end: datetime) -> list[IncidentTimes]:
    """The incidents declared in `[start, end)`, drills included, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_TIMES} FROM incidents
            WHERE declared_at >= $1 AND declared_at < $2 ORDER BY declared_at, id""",
        start,
        end,
    )
    return [IncidentTimes(*row) for row in rows]  # the columns in the dataclass's order


async def trend(conn: Connection, start: datetime, end: datetime) -> Trend:
    """The real incidents declared in `[start, end)`: how many, and their median time to
    resolution (the period a trend compares with: its rows are not needed, only these two)."""
    row = await conn.fetchrow(
        """SELECT count(*) AS incidents,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY resolved_at - declared_at)
                      FILTER (WHERE resolved_at IS NOT NULL) AS median_resolution
             FROM incidents WHERE declared_at >= $1 AND declared_at < $2 AND NOT drill""",
        start,
        end,
    )
    if row is None:
        raise LookupError("a SELECT of counts returned no row")
    return Trend(row["incidents"], row["median_resolution"])


async def followup_counts(
    conn: Connection, start: datetime, end: datetime, today: date
) -> FollowupCounts:
    """Opened and done in `[start, end)`; overdue now (open, due before `today`, the policy's)."""
    row = await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM followups WHERE created_at >= $1 AND created_at < $2) AS opened,
             (SELECT count(*) FROM followups
               WHERE state = 'done' AND closed_at >= $1 AND closed_at < $2) AS done,
             (SELECT count(*) FROM followups WHERE state = 'open' AND due_on < $3) AS overdue""",
        start,
        end,
        today,
    )
    if row is None:
        raise LookupError("a SELECT of counts returned no row")
    return FollowupCounts(row["opened"], row["done"], row["overdue"])


@dataclass(frozen=True)
class Overdue:
    """An overdue follow-up, for the review's list by owner."""

    owner_id: str | None
    text: str
    due_on: date
    channel_id: str


async def overdue(conn: Connection, today: date, limit: int = 40) -> list[Overdue]:
    """Open follow-ups due before `today`, by owner (nobody's last), the longest overdue first."""
    rows = await conn.fetch(
        """SELECT f.owner_id, f.text, f.due_on, coalesce(i.channel_id, '') AS channel_id
             FROM followups f JOIN incidents i ON i.id = f.incident_id
            WHERE f.state = 'open' AND f.due_on < $1
            ORDER BY f.owner_id NULLS LAST, f.due_on, f.id LIMIT $2""",
        today,
        limit,
    )
    return [Overdue(**dict(row)) for row in rows]


@dataclass(frozen=True)
class Gauges:
    """What /metrics shows of the database now: open incidents per severity, follow-ups."""

    open_by_severity: dict[str, int]
    followups_open: int
    followups_overdue: int


async def gauges(conn: Connection, today: date) -> Gauges:
    rows = await conn.fetch(
        """SELECT severity, count(*) AS n FROM incidents
            WHERE status <> 'resolved' AND NOT drill GROUP BY severity"""
    )
    counts = await conn.fetchrow(
        """SELECT count(*) AS open, count(*) FILTER (WHERE due_on < $1) AS overdue
             FROM followups WHERE state = 'open'""",
        today,
    )
    if counts is None:
        raise LookupError("a SELECT of counts returned no row")
    return Gauges({r["severity"]: r["n"] for r in rows}, counts["open"], counts["overdue"])


KEY_TIME_COLUMNS = frozenset({"first_response_at", "mitigated_at", "resolved_at"})


async def histogram(
    conn: Connection, column: str, bounds: Sequence[float]
) -> dict[str, tuple[list[int], int, float]]:
    """Per severity, over every real incident: how many came within each bound (seconds,
    cumulative as Prometheus wants), how many came at all, and their sum of seconds."""
    if column not in KEY_TIME_COLUMNS:
        raise ValueError(f"{column!r} is not a key time column")
    rows = await conn.fetch(
        f"""SELECT severity, extract(epoch FROM {column} - declared_at)::float8 AS seconds
              FROM incidents WHERE {column} IS NOT NULL AND NOT drill"""
    )
    found: dict[str, tuple[list[int], int, float]] = {}
    for row in rows:
        buckets, count, total = found.get(row["severity"], ([0] * len(bounds), 0, 0.0))
        seconds = row["seconds"]
        buckets = [b + (seconds <= bound) for b, bound in zip(buckets, bounds, strict=True)]
        found[row["severity"]] = (buckets, count + 1, total + seconds)
    return found
