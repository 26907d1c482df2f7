"""The incident status machine: one table of legal moves behind one `apply()`."""

from enum import StrEnum

from bot.errors import IllegalTransition


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATING = "mitigating"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """The status as every message and document writes it: `Investigating`."""
        return self.value.capitalize()

    @property
    def update_label(self) -> str:
        """What an update's words are while the incident has this status: an update that says
        `investigating` reports findings, `identified` names the cause, and so on."""
        return _UPDATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self is not Status.RESOLVED


_UPDATE_LABELS = {
    Status.INVESTIGATING: "Findings",
    Status.IDENTIFIED: "Cause",
    Status.MITIGATING: "Actions taken",
    Status.MONITORING: "Progress",
    Status.RESOLVED: "Resolution",
}

OPEN_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s.is_open)

# Responders move freely between the open phases (a fix that fails sends them back to
# investigating); resolving is the only way out and it is final.
TRANSITIONS: dict[tuple[Status, Status], Status] = {
    (current, target): target for current in OPEN_STATUSES for target in Status
}


def apply(current: Status, target: Status) -> Status:
    """The status after moving `current` to `target`; IllegalTransition if that move is not allowed."""
    try:
        return TRANSITIONS[(current, target)]
    except KeyError:
        if current is Status.RESOLVED:
            raise IllegalTransition("This incident is already resolved.") from None
        raise IllegalTransition(f"An incident cannot move from {current} to {target}.") from None
