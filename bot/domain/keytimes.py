"""The times a post-mortem measures, all counted from the declaration.

- first response: the first thing a person did after declaring — a message, note, update, pin,
  re-grade, role assignment or action request (a public statement's steps are not among them,
  here as in migration 0017's trigger, which keeps the same times on the incident's row);
- commander assigned: the declaration itself when it named a commander (a person declaring
  becomes commander), otherwise the first assignment of the role;
- mitigation: the first update moving to `mitigating` (or straight to `monitoring`: a fix was in
  by then), or the first executed action, whichever came first (a dry run changed nothing, so
  it counts only in a drill, where every action is one; a published statement changed nothing
  either);
- resolution: the resolution.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.commands import Role
from bot.domain.incident import Incident
from bot.domain.statements import is_publication
from bot.domain.status import Status
from bot.domain.timeline import Entry, Kind

RESPONSES = frozenset(
    {
        Kind.MESSAGE,
        Kind.NOTE,
        Kind.UPDATE,
        Kind.PINNED,
        Kind.SEVERITY_CHANGED,
        Kind.ROLE_ASSIGNED,
        Kind.ACTION_REQUESTED,
    }
)

_MITIGATED = (Status.MITIGATING, Status.MONITORING)


@dataclass(frozen=True)
class KeyTime:
    name: str
    at: datetime | None
    after: timedelta | None
    target: timedelta | None = None
    """What the policy asks for, where it asks for something (first response)."""


def key_times(
    incident: Incident, entries: Sequence[Entry], respond_within: timedelta | None = None
) -> list[KeyTime]:
    """Each key moment and how long after the declaration it came (None: it has not happened);
    the first response carries the severity's `respond_within` as its target."""
    moments = {
        "first response": _first(entries, lambda e: e.kind in RESPONSES and e.actor is not None),
        "commander assigned": _commander_assigned(incident, entries),
        "mitigation": _mitigation(incident, entries),
        "resolution": incident.resolved_at,
    }
    targets = {"first response": respond_within}
    return [
        KeyTime(name, at, at - incident.declared_at if at else None, targets.get(name))
        for name, at in moments.items()
    ]


def _first(entries: Sequence[Entry], wanted: Callable[[Entry], bool]) -> datetime | None:
    return next((e.at for e in entries if wanted(e)), None)


def _is_commander_assignment(entry: Entry) -> bool:
    return entry.kind == Kind.ROLE_ASSIGNED and entry.data.get("role") == Role.COMMANDER


def _commander_assigned(incident: Incident, entries: Sequence[Entry]) -> datetime | None:
    first = next((e for e in entries if _is_commander_assignment(e)), None)
    if first is None:
        return incident.declared_at if incident.commander else None
    return first.at if first.data.get("previous") is None else incident.declared_at


def is_executed_action(incident: Incident, entry: Entry) -> bool:
    """An action that ran for real; in a drill, where every action is a dry run, any that ran."""
    return (
        entry.kind == Kind.ACTION_EXECUTED
        and not is_publication(entry)
        and (incident.is_drill or not entry.data.get("dry_run"))
    )


def _mitigation(incident: Incident, entries: Sequence[Entry]) -> datetime | None:
    return _first(
        entries,
        lambda e: (
            (e.kind == Kind.UPDATE and e.data.get("status") in _MITIGATED)
            or is_executed_action(incident, e)
        ),
    )
