"""Response against targets: each measure met, missed, not reached or without a target."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.incident import Incident
from bot.domain.status import Status
from bot.domain.targets import Measure, Verdict, response_against_targets
from bot.domain.timeline import Entry, Kind

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Targets:
    first_action: timedelta | None = None
    mitigate: timedelta | None = None
    resolve: timedelta | None = None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(minutes: float, kind: Kind, actor: str | None = "U1", **data: object) -> Entry:
    return Entry(at(minutes), kind, actor, "", data=dict(data))


def incident(resolved_after: float | None = None, *, is_drill: bool = True) -> Incident:
    return Incident(
        id=1,
        channel_id="C1",
        channel_name="drill-20261124-001",
        title="Practice",
        severity="sev1",
        status=Status.RESOLVED if resolved_after is not None else Status.INVESTIGATING,
        declared_by="U1",
        declared_at=T0,
        commander="U1",
        resolved_at=at(resolved_after) if resolved_after is not None else None,
        is_drill=is_drill,
    )


SEV1 = Targets(timedelta(minutes=2), timedelta(minutes=30), timedelta(hours=4))
ENTRIES = [
    entry(1, Kind.MESSAGE),
    entry(1.5, Kind.ACTION_REQUESTED),
    entry(3, Kind.ACTION_EXECUTED, actor=None),
    entry(45, Kind.UPDATE, status="monitoring"),
]


def verdicts(measured: list[Measure]) -> dict[str, tuple[timedelta | None, Verdict]]:
    return {m.name: (m.after, m.verdict) for m in measured}


def test_a_resolved_drill_is_judged_against_each_target() -> None:
    measured = response_against_targets(
        incident(resolved_after=60), ENTRIES, timedelta(minutes=15), SEV1, at(60)
    )
    assert verdicts(measured) == {
        "first response": (timedelta(minutes=1), Verdict.MET),
        "first action requested": (timedelta(minutes=1.5), Verdict.MET),
        "first action executed": (timedelta(minutes=3), Verdict.NO_TARGET),
        "mitigation": (timedelta(minutes=3), Verdict.MET),
        "resolution": (timedelta(hours=1), Verdict.MET),
    }


def test_a_step_that_came_after_its_target_is_missed() -> None:
    late = [entry(20, Kind.MESSAGE), entry(25, Kind.ACTION_REQUESTED)]
    measured = response_against_targets(
        incident(resolved_after=300), late, timedelta(minutes=15), SEV1, at(300)
    )
    found = verdicts(measured)
    assert found["first response"] == (timedelta(minutes=20), Verdict.MISSED)
    assert found["first action requested"] == (timedelta(minutes=25), Verdict.MISSED)
    assert found["resolution"] == (timedelta(hours=5), Verdict.MISSED)


def test_exactly_on_target_is_met() -> None:
    measured = response_against_targets(incident(resolved_after=240), [], None, SEV1, at(240))
    assert verdicts(measured)["resolution"] == (timedelta(hours=4), Verdict.MET)


def test_an_open_incident_past_a_target_it_has_not_reached_has_missed_it() -> None:
    measured = response_against_targets(incident(), [], timedelta(minutes=15), SEV1, at(20))
    found = verdicts(measured)
    assert found["first response"] == (None, Verdict.MISSED)
    assert found["first action requested"] == (None, Verdict.MISSED)
    assert found["mitigation"] == (None, Verdict.NOT_REACHED)
    assert found["resolution"] == (None, Verdict.NOT_REACHED)


def test_a_step_a_resolved_incident_never_took_is_not_reached() -> None:
    measured = response_against_targets(
        incident(resolved_after=10), [entry(1, Kind.MESSAGE)], None, SEV1, at(10)
    )
    found = verdicts(measured)
    assert found["first action requested"] == (None, Verdict.NOT_REACHED)
    assert found["mitigation"] == (None, Verdict.NOT_REACHED)


def test_without_targets_only_the_times_are_shown() -> None:
    measured = response_against_targets(
        incident(resolved_after=10), ENTRIES[:1], None, None, at(10)
    )
    assert {m.verdict for m in measured} == {Verdict.NO_TARGET}
    assert [m.name for m in measured] == [
        "first response",
        "first action requested",
        "first action executed",
        "mitigation",
        "resolution",
    ]


def test_a_dry_run_counts_as_executed_only_in_a_drill() -> None:
    dry = [entry(2, Kind.ACTION_REQUESTED), entry(3, Kind.ACTION_EXECUTED, None, dry_run=True)]
    real = verdicts(response_against_targets(incident(10, is_drill=False), dry, None, SEV1, at(10)))
    drill = verdicts(response_against_targets(incident(10), dry, None, SEV1, at(10)))
    assert real["first action executed"] == (None, Verdict.NO_TARGET)
    assert real["mitigation"] == (None, Verdict.NOT_REACHED)
    assert drill["first action executed"] == (timedelta(minutes=3), Verdict.NO_TARGET)
    assert drill["mitigation"] == (timedelta(minutes=3), Verdict.MET)
