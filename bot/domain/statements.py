"""Public statements on the status page: their statuses, components' states, limits and order.

A statement is what customers read (Statuspage's incident status, the components' new states
and the words); `/incident statuspage` asks for one, a second person approves it word for word.
Pure rules here: reading `component=state` words, the limits Statuspage and the card impose,
and whether a status goes backwards (a warning for the approver, never a refusal: a public
incident may rightly go from monitoring back to investigating).
"""

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.timeline import Entry
from bot.errors import UsageError

PUBLICATION = "statuspage"
"""The approval requests' `action` for a statement: approved like an action, but it publishes
words and changes nothing, so the response's measures (first action, mitigation) leave it out."""


def is_publication(entry: Entry) -> bool:
    """Whether an `action_*` timeline entry is about a statement rather than an action: entries
    stamped before a statement's steps had kinds of their own (`Kind.STATEMENT_REQUESTED`…)."""
    return entry.data.get("action") == PUBLICATION


class PublicStatus(StrEnum):
    """Statuspage's incident statuses, in the order an incident normally goes through them."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ComponentState(StrEnum):
    """Statuspage's component statuses."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


STATE_ALIASES = {
    **{state.value: state for state in ComponentState},
    "degraded": ComponentState.DEGRADED_PERFORMANCE,
    "partial": ComponentState.PARTIAL_OUTAGE,
    "major": ComponentState.MAJOR_OUTAGE,
    "outage": ComponentState.MAJOR_OUTAGE,
    "maintenance": ComponentState.UNDER_MAINTENANCE,
    "ok": ComponentState.OPERATIONAL,
}
"""What people may type after `component=`: Statuspage's words, and their short forms."""

MAX_BODY = 2500
"""A statement's words: Statuspage takes more, but the approval card must show them whole (a
Slack section holds 3,000 characters with the card around them), and approving words one
cannot read is no approval."""
MAX_NAME = 255
"""Statuspage's limit on a public incident's name."""


@dataclass(frozen=True)
class ComponentChange:
    """One component (its name in the policy) and the state it is to show."""

    name: str
    state: ComponentState


@dataclass(frozen=True)
class Statement:
    """What one statement publishes; `body` None means the words are not given (see
    `StatementService`: the policy's wording opens a page, a template closes it)."""

    status: PublicStatus
    components: tuple[ComponentChange, ...]
    body: str | None


def read_change(word: str) -> ComponentChange | None:
    """`checkout=major_outage` as a change; None when the word is not `name=state` at all;
    UsageError when the state is not one Statuspage knows."""
    name, equals, state = word.partition("=")
    if not equals or not name:
        return None
    found = STATE_ALIASES.get(state.lower())
    if found is None:
        known = ", ".join(s.value for s in ComponentState)
        raise UsageError(f"`{state}` is not a component status. Use one of: {known}.")
    return ComponentChange(name.lower(), found)


def components_text(changes: tuple[ComponentChange, ...]) -> str:
    """The changes as one approval parameter (`checkout=major_outage api=operational`)."""
    return " ".join(f"{c.name}={c.state.value}" for c in changes)


def read_components_text(text: str | None) -> tuple[ComponentChange, ...]:
    """Back from `components_text`, as an approved request keeps them."""
    changes = (read_change(word) for word in (text or "").split())
    return tuple(change for change in changes if change is not None)


def out_of_order(previous: PublicStatus | None, new: PublicStatus) -> str | None:
    """Why `new` after `previous` looks wrong, for the card; None when it reads in order.

    Going back is allowed (a fix may not hold): the approver is shown it, nothing is refused.
    """
    order = list(PublicStatus)
    if previous is None:
        if new is PublicStatus.INVESTIGATING:
            return None
        return f"the first statement says `{new.value}`: the page has shown nothing yet"
    if previous is PublicStatus.RESOLVED:
        return (
            f"the page already says `resolved`: this reopens the public incident as `{new.value}`"
        )
    if order.index(new) < order.index(previous):
        return f"the page says `{previous.value}`: this goes back to `{new.value}`"
    return None
