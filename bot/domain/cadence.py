"""When update reminders fire: the severity's cadence after the last update, never in the past.

Pure rules, no I/O: the reminder jobs in `bot/reminders.py` are armed and re-armed from these.
"""

from datetime import datetime, timedelta

from bot.domain.incident import Incident, next_update_due
from bot.domain.severity import SeverityPolicy
from bot.errors import UsageError

SNOOZE_MINUTES = (15, 30, 60)
"""The snooze buttons on a reminder, in minutes."""


def reminder_due(incident: Incident, severities: SeverityPolicy, now: datetime) -> datetime | None:
    """When the next reminder fires: when the next update is due, or now if that has passed.

    A severity change re-arms with the new cadence counted from the last update (as the status
    card shows it); if that moment has already passed, the reminder is due at once. None once
    the incident is resolved.
    """
    due = next_update_due(incident, severities)
    return None if due is None else max(due, now)


def next_on_grid(fired_due: datetime, cadence: timedelta, now: datetime) -> datetime:
    """The reminder after one that was due at `fired_due`: one cadence later, still unanswered.

    Firings missed while no replica was running are skipped, not replayed: the result is the
    first point of the `fired_due + k·cadence` grid strictly after `now`.
    """
    missed = max(0, (now - fired_due) // cadence)
    return fired_due + cadence * (missed + 1)


def snooze_until(minutes: int, now: datetime, due: datetime | None = None) -> datetime:
    """When a snoozed reminder comes back: `minutes` from now, but never before `due`.

    `due` is when the next reminder would come anyway: snoozing an old reminder just after an
    update must not bring the next one forward. UsageError for a length the buttons don't offer.
    """
    if minutes not in SNOOZE_MINUTES:
        offered = ", ".join(str(m) for m in SNOOZE_MINUTES)
        raise UsageError(f"Reminders snooze for {offered} minutes, not {minutes}.")
    later = now + timedelta(minutes=minutes)
    return later if due is None else max(later, due)
