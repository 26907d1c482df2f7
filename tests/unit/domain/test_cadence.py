from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cadence import next_on_grid, reminder_due, snooze_until
from bot.domain.incident import Incident
from bot.domain.severity import default_severity_policy
from bot.domain.status import Status
from bot.errors import UsageError

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SEVERITIES = default_severity_policy()
INCIDENT = Incident(
    id=1,
    channel_id="C1",
    channel_name="incident-20261124-001",
    title="Checkout errors",
    severity="sev1",
    status=Status.INVESTIGATING,
    declared_by="U1",
    declared_at=T0,
    commander="U1",
)


@pytest.mark.parametrize(
    ("severity", "minutes"), [("sev1", 15), ("sev2", 30), ("sev3", 60), ("sev4", 240)]
)
def test_the_first_reminder_is_one_cadence_after_declaration(severity: str, minutes: int) -> None:
    incident = replace(INCIDENT, severity=severity)
    assert reminder_due(incident, SEVERITIES, T0) == T0 + timedelta(minutes=minutes)


def test_the_reminder_counts_from_the_last_update() -> None:
    updated = replace(INCIDENT, update_count=1, last_update_at=T0 + timedelta(minutes=10))
    assert reminder_due(updated, SEVERITIES, T0 + timedelta(minutes=10)) == T0 + timedelta(
        minutes=25
    )


def test_a_new_cadence_already_overdue_makes_the_reminder_due_now() -> None:
    regraded = replace(INCIDENT, severity="sev1", declared_at=T0 - timedelta(hours=2))
    assert reminder_due(regraded, SEVERITIES, T0) == T0


def test_a_resolved_incident_has_no_reminder() -> None:
    resolved = replace(INCIDENT, status=Status.RESOLVED, resolved_at=T0)
    assert reminder_due(resolved, SEVERITIES, T0) is None


def test_the_next_reminder_is_one_cadence_after_the_one_that_fired() -> None:
    assert next_on_grid(T0, timedelta(minutes=15), T0) == T0 + timedelta(minutes=15)


def test_reminders_missed_while_down_are_skipped_not_replayed() -> None:
    late = T0 + timedelta(minutes=50)
    assert next_on_grid(T0, timedelta(minutes=15), late) == T0 + timedelta(minutes=60)


def test_a_snooze_never_brings_the_next_reminder_forward() -> None:
    due_anyway = T0 + timedelta(hours=4)
    assert snooze_until(15, T0, due_anyway) == due_anyway
    assert snooze_until(15, T0, T0) == T0 + timedelta(minutes=15)


def test_snoozing_offers_15_30_and_60_minutes_only() -> None:
    assert snooze_until(30, T0) == T0 + timedelta(minutes=30)
    with pytest.raises(UsageError, match="15, 30, 60"):
        snooze_until(45, T0)
