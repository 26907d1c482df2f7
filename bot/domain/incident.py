"""An incident as the rules see it, and the timing rules that follow from its severity."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.commands import Role
from bot.domain.severity import SeverityPolicy
from bot.domain.status import Status


@dataclass(frozen=True)
class Incident:
    id: int
    channel_id: str
    """Empty while the channel is reserved and Slack has not made it yet."""
    channel_name: str
    title: str
    severity: str
    status: Status
    declared_by: str | None
    """None when an alert declared it."""
    declared_at: datetime
    commander: str | None = None
    lead: str | None = None
    comms: str | None = None
    update_count: int = 0
    last_update_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    is_drill: bool = False
    """A practice run (`/incident drill`): marked everywhere, nobody paged, actions dry runs."""

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def holder(self, role: Role) -> str | None:
        return {Role.COMMANDER: self.commander, Role.LEAD: self.lead, Role.COMMS: self.comms}[role]

    def age(self, now: datetime) -> timedelta:
        return (self.resolved_at or now) - self.declared_at


def next_update_due(incident: Incident, severities: SeverityPolicy) -> datetime | None:
    """When the next update is due: the severity's cadence after the last update (or declaration)."""
    if not incident.is_open:
        return None
    since = incident.last_update_at or incident.declared_at
    return since + severities.update_every(incident.severity)
