"""The figures' pure rules: periods as typed, percentiles, targets, the review's schedule."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Policy
from bot.domain.commands import PeriodSpec
from bot.domain.figures import (
    Chart,
    FollowupCounts,
    Goals,
    IncidentTimes,
    Trend,
    chart,
    figures,
    first_review,
    next_review,
    percentile,
    period_of,
)
from bot.domain.grammar import Typed, parse_stats
from bot.errors import UsageError

POLICY = Policy()
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _stats(text: str) -> PeriodSpec:
    return parse_stats(Typed("stats", text, POLICY.severities)).period


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("", PeriodSpec(days=30)),
        ("7d", PeriodSpec(days=7)),
        ("90D", PeriodSpec(days=90)),
        ("2w", PeriodSpec(days=14)),
        ("366d", PeriodSpec(days=366)),
        ("2026-02", PeriodSpec(month=(2026, 2))),
    ],
)
def test_periods_people_type(text: str, spec: PeriodSpec) -> None:
    assert _stats(text) == spec


@pytest.mark.parametrize("text", ["0d", "1000y", "367d", "2026-13", "2026-00", "garbage", "-7d"])
def test_periods_that_make_no_sense_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        _stats(text)


def test_a_month_is_its_calendar_month_in_the_policy_time_zone() -> None:
    period = period_of(PeriodSpec(month=(2026, 12)), NOW, BERLIN)
    assert period.start == datetime(2026, 12, 1, tzinfo=BERLIN)
    assert period.end == datetime(2027, 1, 1, tzinfo=BERLIN)
    assert not period.has_begun(NOW)
    assert period.previous().start == datetime(2026, 10, 31, tzinfo=BERLIN)


def test_the_last_days_include_this_very_moment() -> None:
    """A follow-up closed at `now` (the demo's scripted clock stands still) is in the period."""
    period = period_of(PeriodSpec(days=30), NOW, UTC)
    assert period.start < NOW - timedelta(days=30) + timedelta(seconds=1)
    assert period.start <= NOW < period.end
    assert period.end - period.start == timedelta(days=30)


def test_percentiles_interpolate_as_percentile_cont() -> None:
    minutes = [timedelta(minutes=m) for m in (5, 20, 10)]
    assert percentile(minutes, 0.5) == timedelta(minutes=10)
    assert percentile(minutes, 0.9) == timedelta(minutes=18)
    assert percentile([], 0.5) is None


def _incident(severity: str, resolve: float | None, *, drill: bool = False) -> IncidentTimes:
    declared = NOW - timedelta(days=1)
    resolved = declared + timedelta(hours=resolve) if resolve is not None else None
    return IncidentTimes(
        1, "C1", "incident-1", "t", severity, drill, declared, None, None, resolved
    )


class _Targets:
    first_action = None
    mitigate = None
    resolve = timedelta(hours=2)


def _goals(severity: str) -> Goals:
    return Goals(timedelta(minutes=15), _Targets() if severity == "sev1" else None)


def test_an_open_incident_past_its_target_counts_as_missed_and_drills_apart() -> None:
    period = period_of(PeriodSpec(days=7), NOW, UTC)
    found = figures(
        period,
        [_incident("sev1", 1), _incident("sev1", None), _incident("sev1", 0.1, drill=True)],
        Trend(0, None),
        FollowupCounts(0, 0, 0),
        ["sev1", "sev2"],
        _goals,
        NOW,
    )
    [sev1] = found.by_severity
    assert (sev1.within_targets["resolution"].met, sev1.within_targets["resolution"].judged) == (
        1,
        2,
    )
    assert found.drills == 1
    assert found.incident_change is None


def test_the_chart_survives_the_outbox_row() -> None:
    period = period_of(PeriodSpec(days=7), NOW, UTC)
    drawn = chart(period, [_incident("sev1", 1.5), _incident("sev2", None)], _goals)
    assert Chart.from_args(drawn.to_args()) == drawn
    assert [p.hours for p in drawn.points] == [1.5]
    assert drawn.targets == {"sev1": 2.0}


def test_the_review_keeps_its_wall_clock_time_across_summer_time() -> None:
    first = first_review(datetime(2026, 3, 18, 12, tzinfo=UTC), "Mon 09:00", BERLIN)
    assert first.astimezone(UTC) == datetime(2026, 3, 23, 8, tzinfo=UTC)
    # Summer time starts on 29 March: 09:00 in Berlin is 07:00 UTC from then on.
    following = next_review(first.astimezone(UTC), timedelta(weeks=1), BERLIN)
    assert following.astimezone(UTC) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_a_review_due_right_now_is_the_next_one() -> None:
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert first_review(monday, "Mon 09:00", UTC) == monday + timedelta(weeks=1)
