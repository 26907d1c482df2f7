"""What an arriving alert does: which policy route it takes, and whether it declares or attaches.

Both are pure decisions. `route_for` follows the policy's `alerts.routes` (first match wins,
Alertmanager's matching rules); `dispose` decides from the alert's group as the database shows
it under a row lock, so two replicas receiving the same storm declare one incident between them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.domain.alerts import Alert, AlertStatus
from bot.domain.severity import SeverityLevel, SeverityPolicy
from bot.errors import UsageError

DECLARING_LEASE = timedelta(minutes=5)
"""A replica declaring a group's incident has this long; after it, the group is declared again."""
OFFER_AGAIN_AFTER = timedelta(hours=4)
"""A group offered with a Declare button is offered again only after this (Alertmanager's default
repeat_interval): a flapping warning does not fill the announce channel."""


def _compile(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return re.compile(value)
    except re.error as error:
        raise ValueError(f"{value!r} is not a valid regular expression: {error}") from None


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]
"""A regular expression from the policy, compiled once when the policy loads."""


class AlertRoute(BaseModel):
    """One entry of the policy's `alerts.routes`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[str, str] = Field(default_factory=dict)
    match_re: dict[str, Regex] = Field(default_factory=dict)
    declare: str | None = None
    suggest: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """Every `match` label equal and every `match_re` regex matching the whole value.

        As in Alertmanager, a missing label reads as the empty string, and regexes are anchored
        at both ends (`api|web` does not match `webapi`).
        """
        return all(labels.get(name, "") == value for name, value in self.match.items()) and all(
            pattern.fullmatch(labels.get(name, "")) for name, pattern in self.match_re.items()
        )


def route_for(alert: Alert, routes: tuple[AlertRoute, ...]) -> AlertRoute | None:
    """The first route matching the alert's labels; None when none does."""
    return next((route for route in routes if route.matches(alert.labels)), None)


def offered_severity(alert: Alert, severities: SeverityPolicy) -> SeverityLevel:
    """The severity for declaring an offered alert: its `severity` label if the policy knows the
    word (`critical`, `p1`, `sev2`), else the least severe level."""
    try:
        return severities.resolve(alert.labels.get("severity", ""))
    except UsageError:
        return severities.levels[-1]


class Disposition(StrEnum):
    DECLARE = "declare"
    """This alert opens an incident for its group."""
    ATTACH = "attach"
    """The group (or the fingerprint) has an open incident: a thread reply, a timeline entry."""
    WAIT = "wait"
    """Someone is declaring the group's incident; they attach this alert once it exists."""
    OFFER = "offer"
    """Post it in the announce channel with a Declare button."""
    KEEP = "keep"
    """Store it only: resolved with nothing open, or already offered."""


@dataclass(frozen=True)
class GroupState:
    """An alert group's row: its incident, and whether a declaration or offer is under way."""

    incident_id: int | None = None
    incident_open: bool = False
    declaring_since: datetime | None = None
    offered_at: datetime | None = None


def dispose(
    status: AlertStatus,
    route: AlertRoute | None,
    group: GroupState,
    *,
    fingerprint_incident: int | None,
    now: datetime,
) -> tuple[Disposition, int | None]:
    """What to do with an alert, and the incident it attaches to (for ATTACH).

    An open incident always wins; a resolved alert never declares; an alert with no route is
    offered rather than dropped, since whoever pointed a webhook at the bot wants to see it.
    """
    if group.incident_id is not None and group.incident_open:
        return Disposition.ATTACH, group.incident_id
    if fingerprint_incident is not None:
        return Disposition.ATTACH, fingerprint_incident
    if group.declaring_since is not None and now - group.declaring_since < DECLARING_LEASE:
        return Disposition.WAIT, None
    if status == "resolved":
        return Disposition.KEEP, None
    if route is None or route.declare is None:
        if group.offered_at is not None and now - group.offered_at < OFFER_AGAIN_AFTER:
            return Disposition.KEEP, None
        return Disposition.OFFER, None
    return Disposition.DECLARE, None


def action_args(param_names: Iterable[str], labels: dict[str, str]) -> dict[str, str]:
    """A suggested action's parameters, filled from the alert's labels of the same names.

    A value that is empty or holds whitespace is left out: it could not be typed as one
    `key=value` word, and the approval flow asks for what is missing anyway.
    """
    return {
        name: labels[name]
        for name in param_names
        if labels.get(name) and not any(c.isspace() for c in labels[name])
    }
