"""Figures over a period: how many incidents, how fast they were answered, mitigated and resolved,
how many within the policy's targets, and how that compares with the period before.

The times are the post-mortem's key times (`bot.domain.keytimes`: first response, mitigation,
resolution, each counted from the declaration), kept on each incident's row as they happen
(migration 0017) so that a period of thousands of incidents is read in one query. Drills are
counted apart: practice must not flatter, nor spoil, the response figures.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.domain.commands import PeriodSpec
from bot.domain.targets import TargetsRule, Verdict

MEASURES = ("response", "mitigation", "resolution")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """`[start, end)`, and the words people read for it (`last 30 days`, `2026-10`)."""

    start: datetime
    end: datetime
    label: str

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> "Period":
        """The period of the same length just before: what the trend compares with."""
        return Period(self.start - self.length, self.start, f"the {self.length.days} days before")

    def has_begun(self, now: datetime) -> bool:
        return self.start <= now


_INSTANT = timedelta(microseconds=1)
"""PostgreSQL's finest time: a period ending `now` ends just after it."""


def period_of(spec: PeriodSpec, now: datetime, tz: tzinfo) -> Period:
    """The period `spec` names, read at `now` in the policy time zone."""
    if spec.month is None:
        days = spec.days or DEFAULT_DAYS
        end = now + _INSTANT  # up to and including now: what happened this very moment counts
        return Period(end - timedelta(days=days), end, f"last {days} days")
    year, month = spec.month
    start = datetime.combine(date(year, month, 1), time(), tz)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(start, datetime.combine(following, time(), tz), spec.text)


@dataclass(frozen=True)
class IncidentTimes:
    """One incident as the figures see it: its key moments (None: not yet)."""

    id: int
    channel_id: str
    channel_name: str
    title: str
    severity: str
    is_drill: bool
    declared_at: datetime
    first_response_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None

    response: timedelta | None = field(init=False, repr=False, compare=False)
    mitigation: timedelta | None = field(init=False, repr=False, compare=False)
    resolution: timedelta | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Each measure once: a period's figures read them many times per incident."""
        for name, at in (
            ("response", self.first_response_at),
            ("mitigation", self.mitigated_at),
            ("resolution", self.resolved_at),
        ):
            object.__setattr__(self, name, at - self.declared_at if at else None)

    def after(self, measure: str) -> timedelta | None:
        """How long after the declaration `measure` (one of MEASURES) came."""
        if measure == "response":
            return self.response
        return self.mitigation if measure == "mitigation" else self.resolution


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of the times that came, and how many came."""

    median: timedelta | None
    p90: timedelta | None
    count: int


@dataclass(frozen=True)
class Share:
    """How many of the judged incidents came within the target (`met` of `judged`)."""

    met: int
    judged: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.judged) if self.judged else None


@dataclass(frozen=True)
class SeverityFigures:
    severity: str
    incidents: int
    spreads: Mapping[str, Spread]
    within_targets: Mapping[str, Share]
    """Per measure with a target; a measure without one is left out."""


@dataclass(frozen=True)
class FollowupCounts:
    opened: int
    done: int
    overdue: int


@dataclass(frozen=True)
class Trend:
    """The period before: its incidents and its median time to resolution."""

    incidents: int
    median_resolution: timedelta | None

    def change(self, now_count: int) -> int | None:
        """Percent more (or fewer) incidents than the period before; None if it had none."""
        return (
            round(100 * (now_count - self.incidents) / self.incidents) if self.incidents else None
        )


@dataclass(frozen=True)
class Figures:
    period: Period
    incidents: int
    by_severity: Sequence[SeverityFigures]
    overall: Mapping[str, Spread]
    drills: int
    followups: FollowupCounts
    trend: Trend

    @property
    def incident_change(self) -> int | None:
        return self.trend.change(self.incidents)


@dataclass(frozen=True)
class Goals:
    """What the policy asks of one severity: `respond_within` and its `targets`."""

    respond_within: timedelta | None
    targets: TargetsRule | None

    def of(self, measure: str) -> timedelta | None:
        if measure == "response":
            return self.respond_within
        if self.targets is None:
            return None
        return self.targets.mitigate if measure == "mitigation" else self.targets.resolve


def percentile(values: Sequence[timedelta], q: float) -> timedelta | None:
    """The `q` quantile (0..1) of `values`, interpolated between neighbours as PostgreSQL's
    `percentile_cont` does; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(incidents: Sequence[IncidentTimes], measure: str) -> Spread:
    times = [t for i in incidents if (t := i.after(measure)) is not None]
    return Spread(percentile(times, 0.5), percentile(times, 0.9), len(times))


def verdict(
    incident: IncidentTimes, measure: str, target: timedelta | None, now: datetime
) -> Verdict:
    """Met or missed as the post-mortem's targets table judges it (`bot.domain.targets`)."""
    after = incident.after(measure)
    if target is None:
        return Verdict.NO_TARGET
    if after is not None:
        return Verdict.MET if after <= target else Verdict.MISSED
    if incident.resolved_at is None and now - incident.declared_at > target:
        return Verdict.MISSED
    return Verdict.NOT_REACHED


def _within(incidents: Sequence[IncidentTimes], goals: Goals, now: datetime) -> dict[str, Share]:
    shares: dict[str, Share] = {}
    for measure in MEASURES:
        target = goals.of(measure)
        if target is None:
            continue
        verdicts = [verdict(i, measure, target, now) for i in incidents]
        met = verdicts.count(Verdict.MET)
        shares[measure] = Share(met, met + verdicts.count(Verdict.MISSED))
    return shares


def figures(
    period: Period,
    incidents: Sequence[IncidentTimes],
    before: Trend,
    followups: FollowupCounts,
    severities: Sequence[str],
    goals: Callable[[str], Goals],
    now: datetime,
) -> Figures:
    """The period's figures: `incidents` are those declared in it, drills included (they are
    counted apart here); `before` sums up the period before (real incidents only)."""
    real = [i for i in incidents if not i.is_drill]
    by_severity = [
        SeverityFigures(
            severity,
            len(these),
            {m: spread(these, m) for m in MEASURES},
            _within(these, goals(severity), now),
        )
        for severity in _ordered(severities, real)
        if (these := [i for i in real if i.severity == severity])
    ]
    return Figures(
        period=period,
        incidents=len(real),
        by_severity=by_severity,
        overall={m: spread(real, m) for m in MEASURES},
        drills=len(incidents) - len(real),
        followups=followups,
        trend=before,
    )


def _ordered(severities: Sequence[str], incidents: Sequence[IncidentTimes]) -> list[str]:
    """The policy's severities, most severe first, then any a policy change left behind."""
    extra = sorted({i.severity for i in incidents} - set(severities))
    return [*severities, *extra]


@dataclass(frozen=True)
class ChartPoint:
    declared_at: datetime
    severity: str
    hours: float


@dataclass(frozen=True)
class Chart:
    """What the chart draws: time to resolution per incident over the period, by severity, with
    each severity's resolution target; as data, so an outbox row can carry it (JSON)."""

    title: str
    start: datetime
    end: datetime
    points: Sequence[ChartPoint]
    targets: Mapping[str, float]
    """Hours, per severity with a `targets.<sev>.resolve`."""

    def to_args(self) -> dict[str, object]:
        return {
            "title": self.title,
            "start": self.start.timestamp(),
            "end": self.end.timestamp(),
            "points": [[p.declared_at.timestamp(), p.severity, p.hours] for p in self.points],
            "targets": dict(self.targets),
        }

    @classmethod
    def from_args(cls, args: Mapping[str, object]) -> "Chart":
        points, targets = args["points"], args["targets"]
        if not isinstance(points, list) or not isinstance(targets, dict):
            raise ValueError("a chart's args hold a list of points and a mapping of targets")
        return cls(
            title=str(args["title"]),
            start=_moment(args["start"]),
            end=_moment(args["end"]),
            points=[ChartPoint(_moment(at), str(sev), float(h)) for at, sev, h in points],
            targets={str(k): float(v) for k, v in targets.items()},
        )


def _moment(seconds: object) -> datetime:
    """A moment written as seconds since the epoch (a chart's args are JSON)."""
    return datetime.fromtimestamp(float(str(seconds)), UTC)


def chart(
    period: Period, incidents: Sequence[IncidentTimes], goals: Callable[[str], Goals]
) -> Chart:
    """The resolved real incidents of the period, as the chart draws them."""
    resolved = [
        ChartPoint(i.declared_at, i.severity, i.resolution.total_seconds() / 3600)
        for i in incidents
        if not i.is_drill and i.resolution is not None
    ]
    severities = {p.severity for p in resolved}
    targets = {
        s: target.total_seconds() / 3600
        for s in sorted(severities)
        if (rule := goals(s).targets) is not None and (target := rule.resolve) is not None
    }
    return Chart(f"Time to resolution, {period.label}", period.start, period.end, resolved, targets)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def first_review(after: datetime, at: str, tz: tzinfo) -> datetime:
    """The first moment after `after` that is `at` (`Mon 09:00`) on the wall clock of `tz`."""
    day, _, clock = at.partition(" ")
    hour, minute = (int(part) for part in clock.split(":"))
    local = after.astimezone(tz)
    ahead = (_WEEKDAYS.index(day) - local.weekday()) % 7
    due = datetime.combine(local.date() + timedelta(days=ahead), time(hour, minute), tz)
    return due if due > after else due + timedelta(days=7)


def next_review(due: datetime, every: timedelta, tz: tzinfo) -> datetime:
    """The review after the one due at `due`: `every` later on the wall clock (09:00 stays
    09:00 across a change to or from summer time)."""
    return (due.astimezone(tz) + every).astimezone(tz)


def review_period(due: datetime, every: timedelta, tz: tzinfo) -> Period:
    """What the review due at `due` looks back on: the `every` before it."""
    start = due.astimezone(tz) - every
    return Period(start, due, f"the {every.days} days to {due.astimezone(tz):%Y-%m-%d}")


def _seconds(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def as_document(found: Figures) -> dict[str, object]:
    """The figures as plain data (`incident-bot stats --format json`); times in seconds."""

    def spreads(values: Mapping[str, Spread]) -> dict[str, object]:
        return {
            m: {"median": _seconds(s.median), "p90": _seconds(s.p90), "count": s.count}
            for m, s in values.items()
        }

    return {
        "period": {
            "label": found.period.label,
            "start": found.period.start.isoformat(),
            "end": found.period.end.isoformat(),
        },
        "incidents": found.incidents,
        "drills": found.drills,
        "times": spreads(found.overall),
        "by_severity": [
            {
                "severity": s.severity,
                "incidents": s.incidents,
                "times": spreads(s.spreads),
                "within_targets": {
                    m: {"met": share.met, "judged": share.judged}
                    for m, share in s.within_targets.items()
                },
            }
            for s in found.by_severity
        ],
        "followups": {
            "opened": found.followups.opened,
            "done": found.followups.done,
            "overdue": found.followups.overdue,
        },
        "previous_period": {
            "incidents": found.trend.incidents,
            "median_resolution": _seconds(found.trend.median_resolution),
            "incident_change_percent": found.incident_change,
        },
    }


CSV_COLUMNS = (
    "severity",
    "incidents",
    "measure",
    "median_seconds",
    "p90_seconds",
    "count",
    "met",
    "judged",
)


def as_rows(found: Figures) -> list[dict[str, object]]:
    """One row per severity and measure, and `all` for every real incident (`--format csv`)."""
    rows: list[dict[str, object]] = []
    empty: Mapping[str, Share] = {}
    scopes: list[tuple[str, int, Mapping[str, Spread], Mapping[str, Share]]] = [
        ("all", found.incidents, found.overall, empty)
    ] + [(s.severity, s.incidents, s.spreads, s.within_targets) for s in found.by_severity]
    for severity, count, spreads, shares in scopes:
        for measure in MEASURES:
            spread_ = spreads[measure]
            share = shares.get(measure)
            rows.append(
                {
                    "severity": severity,
                    "incidents": count,
                    "measure": measure,
                    "median_seconds": _seconds(spread_.median),
                    "p90_seconds": _seconds(spread_.p90),
                    "count": spread_.count,
                    "met": share.met if share else None,
                    "judged": share.judged if share else None,
                }
            )
    return rows
