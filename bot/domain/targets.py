"""Response against targets: how fast each step came, against what the policy asks for.

Measured from the timeline, every time counted from the declaration (`bot.domain.keytimes`
gives first response, mitigation and resolution):

| measure                 | target                        |
|-------------------------|-------------------------------|
| first response          | the severity's `respond_within` |
| first action requested  | `targets.<sev>.first_action`  |
| first action executed   | none (shown for the record)   |

(an executed action is one that ran for real; in a drill, where every action is a dry run, one
that ran as a dry run)
| mitigation              | `targets.<sev>.mitigate`      |
| resolution              | `targets.<sev>.resolve`       |

Each is met (it came within its target), missed (it came later, or the incident is still open
and its target has passed without it), not reached (it never came: the incident was resolved
without it, or its target is still ahead) or has no target. Drill reports and every
post-mortem show this table.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.incident import Incident
from bot.domain.keytimes import is_executed_action, key_times
from bot.domain.statements import is_publication
from bot.domain.timeline import Entry, Kind


class TargetsRule(Protocol):
    """A severity's targets as the policy writes them (`bot.config.Targets`)."""

    @property
    def first_action(self) -> timedelta | None: ...
    @property
    def mitigate(self) -> timedelta | None: ...
    @property
    def resolve(self) -> timedelta | None: ...


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_REACHED = "not reached"
    NO_TARGET = "no target"


@dataclass(frozen=True)
class Measure:
    """One row of the table: `after` the declaration it came (None: not yet), against `target`."""

    name: str
    at: datetime | None
    after: timedelta | None
    target: timedelta | None
    verdict: Verdict


def response_against_targets(
    incident: Incident,
    entries: Sequence[Entry],
    respond_within: timedelta | None,
    targets: TargetsRule | None,
    now: datetime,
) -> list[Measure]:
    """Each measure of the module's table, judged at `now`."""
    keys = {key.name: key.at for key in key_times(incident, entries, respond_within)}
    moments = {
        "first response": (keys["first response"], respond_within),
        "first action requested": (
            _first(entries, Kind.ACTION_REQUESTED),
            targets.first_action if targets else None,
        ),
        "first action executed": (
            next((e.at for e in entries if is_executed_action(incident, e)), None),
            None,
        ),
        "mitigation": (keys["mitigation"], targets.mitigate if targets else None),
        "resolution": (keys["resolution"], targets.resolve if targets else None),
    }
    return [_measure(name, at, target, incident, now) for name, (at, target) in moments.items()]


def _measure(
    name: str, at: datetime | None, target: timedelta | None, incident: Incident, now: datetime
) -> Measure:
    after = at - incident.declared_at if at else None
    if target is None:
        verdict = Verdict.NO_TARGET
    elif after is not None:
        verdict = Verdict.MET if after <= target else Verdict.MISSED
    elif incident.is_open and now - incident.declared_at > target:
        verdict = Verdict.MISSED
    else:
        verdict = Verdict.NOT_REACHED
    return Measure(name, at, after, target, verdict)


def _first(entries: Sequence[Entry], kind: Kind) -> datetime | None:
    """The first entry of `kind` that is not about a public statement (`is_publication`)."""
    return next((e.at for e in entries if e.kind == kind and not is_publication(e)), None)
