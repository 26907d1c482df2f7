from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.domain.durations import format_duration, format_period, parse_duration
from bot.domain.incident import Incident, next_update_due
from bot.domain.mrkdwn import escape, mention
from bot.domain.naming import channel_name, is_incident_channel
from bot.domain.severity import SeverityPolicy, default_severity_policy
from bot.domain.status import Status, apply
from bot.errors import IllegalTransition

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_channel_names_follow_the_runbook_pattern() -> None:
    assert channel_name("incident", date(2026, 11, 23), 1) == "incident-20261123-001"
    assert channel_name("incident", date(2026, 11, 23), 1000) == "incident-20261123-1000"
    assert is_incident_channel("incident", "incident-20261123-001")
    assert is_incident_channel("incident", "incident-20261123-001-checkout")
    assert not is_incident_channel("incident", "incidents")


def test_sequence_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        channel_name("incident", date(2026, 11, 23), 0)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("4h", 14400), ("1d", 86400)]
)
def test_durations_parse_as_written_in_the_policy(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_a_bad_duration_says_what_is_accepted() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 30s, 15m"):
        parse_duration("15 minutes")


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=40), "40s"),
        (timedelta(minutes=12), "12m"),
        (timedelta(minutes=15, seconds=59), "15m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=1, minutes=5), "1h 5m"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, minutes=30), "1 day"),
        (timedelta(days=2, hours=3), "2 days 3h"),
        (timedelta(seconds=-5), "0s"),
    ],
)
def test_durations_read_as_people_say_them(delta: timedelta, shown: str) -> None:
    assert format_duration(delta) == shown


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(hours=1), "every hour"),
        (timedelta(days=1), "every day"),
        (timedelta(minutes=1), "every minute"),
        (timedelta(minutes=15), "every 15m"),
        (timedelta(hours=4), "every 4h"),
        (timedelta(hours=1, minutes=30), "every 1h 30m"),
    ],
)
def test_a_cadence_reads_as_every_hour_not_every_one_hour(delta: timedelta, shown: str) -> None:
    assert format_period(delta) == shown


def test_escape_neutralises_mentions_and_links_idempotently() -> None:
    assert (
        escape("<!channel> & <@U1> <https://x|y>")
        == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    )
    assert escape("&lt;!channel&gt;") == "&lt;!channel&gt;"
    assert escape(mention("U1")) == "<@U1>"


def test_open_statuses_move_freely_and_resolved_is_final() -> None:
    assert apply(Status.INVESTIGATING, Status.MITIGATING) is Status.MITIGATING
    assert apply(Status.MONITORING, Status.INVESTIGATING) is Status.INVESTIGATING
    assert apply(Status.MONITORING, Status.RESOLVED) is Status.RESOLVED
    with pytest.raises(IllegalTransition, match="already resolved"):
        apply(Status.RESOLVED, Status.RESOLVED)
    with pytest.raises(IllegalTransition):
        apply(Status.RESOLVED, Status.INVESTIGATING)


def test_severity_policy_refuses_a_name_used_twice() -> None:
    with pytest.raises(ValidationError, match="names both"):
        SeverityPolicy.from_mapping(
            {
                "sev1": {
                    "label": "A",
                    "aliases": ["p0"],
                    "respond_within": "1m",
                    "update_every": "1m",
                },
                "sev2": {
                    "label": "B",
                    "aliases": ["P0"],
                    "respond_within": "1m",
                    "update_every": "1m",
                },
            }
        )


def _incident(**changes: object) -> Incident:
    values: dict[str, object] = dict(
        id=1,
        channel_id="C1",
        channel_name="incident-20261124-001",
        title="t",
        severity="sev1",
        status=Status.INVESTIGATING,
        declared_by="U1",
        declared_at=T0,
    )
    values.update(changes)
    return Incident(**values)  # type: ignore[arg-type]


def test_next_update_is_due_one_cadence_after_the_last_update() -> None:
    severities = default_severity_policy()
    assert next_update_due(_incident(), severities) == T0 + timedelta(minutes=15)
    assert next_update_due(_incident(severity="sev2"), severities) == T0 + timedelta(minutes=30)
    later = T0 + timedelta(minutes=40)
    assert next_update_due(_incident(last_update_at=later), severities) == later + timedelta(
        minutes=15
    )
    assert next_update_due(_incident(status=Status.RESOLVED), severities) is None
