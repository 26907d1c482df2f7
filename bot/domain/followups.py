"""Follow-ups: an incident's action items, tracked to done.

What a follow-up is, when it is due and overdue, and the limits of what people may write for
one. The figures (`/incident stats`, the weekly review) count the same rows with the same
meaning: `state` is open, done or dropped; `due_on` is a date in the policy's time zone; a
follow-up is overdue while it is open and its date is before today.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from bot.errors import UsageError

MAX_TEXT = 250
"""A follow-up is one line: it becomes a GitHub issue's title and a Jira issue's summary (255
at most there), and is listed many to a message."""
MAX_DROP_REASON = 500
FURTHEST_DUE = timedelta(days=2 * 366)
"""A date further away than this is a typo (2062 for 2026), not a plan."""
DUE_AT = time(9, 0)
"""The owner's DM comes on the due date at this hour, in the policy's time zone."""

_WITHIN = re.compile(r"^(\d{1,4})([dw])$")
_DAYS = {"d": 1, "w": 7}


class State(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Followup:
    id: int
    incident_id: int
    text: str
    owner_id: str | None
    due_on: date | None
    state: State
    drop_reason: str | None
    created_by: str
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    message_ts: str | None = None
    message_channel: str | None = None
    export_url: str | None = None
    source_entry: int | None = None

    @property
    def is_open(self) -> bool:
        return self.state is State.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today

    def is_due(self, today: date) -> bool:
        """Due today or before, and still open: what the owner's DM is about."""
        return self.is_open and self.due_on is not None and self.due_on <= today


def today_in(now: datetime, tz: tzinfo) -> date:
    """The date it is now where the policy lives: due dates are compared with it."""
    return now.astimezone(tz).date()


def parse_date(word: str) -> date:
    """`2026-12-01`; a refusal in words for anything else."""
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"`{word}` is not a date: write `due YYYY-MM-DD` or `due in 2w`."
        ) from None


def parse_within(word: str) -> timedelta:
    """`3d`, `2w`: whole days or weeks from today, never zero."""
    match = _WITHIN.match(word.lower())
    if match is None:
        raise UsageError(
            f"`due in {word}` is not a span of days: write `due in 3d` or `due in 2w`."
        )
    days = int(match[1]) * _DAYS[match[2]]
    if days == 0:
        raise UsageError(f"`due in {word}` is now: give at least `1d`, or a date.")
    return timedelta(days=days)


def due_date(on: date | None, within: timedelta | None, today: date) -> date | None:
    """The due date a person asked for, checked against `today` (policy time zone)."""
    due = on if on is not None else (today + within if within is not None else None)
    if due is None:
        return None
    if due < today:
        raise UsageError(f"{due.isoformat()} is in the past (today is {today.isoformat()}).")
    if due - today > FURTHEST_DUE:
        raise UsageError(f"{due.isoformat()} is more than two years away: is it a typo?")
    return due


def due_moment(due_on: date, tz: tzinfo) -> datetime:
    """When the owner's DM goes out: `DUE_AT` on the due date, in the policy's time zone."""
    return datetime.combine(due_on, DUE_AT, tzinfo=tz)


class Scope(StrEnum):
    """Which follow-ups `/incident followups` lists: open ones, of someone or of everyone."""

    MINE = "mine"
    PERSON = "person"
    ALL = "all"
    OVERDUE = "overdue"


def issue_label(url: str) -> str:
    """How an exported issue's link reads: `#12` (GitHub), `OPS-3` (Jira), else `issue`."""
    tail = url.rstrip("/").rpartition("/")[2]
    if "/issues/" in url and tail.isdigit():
        return f"#{tail}"
    if "/browse/" in url and tail:
        return tail
    return "issue"
