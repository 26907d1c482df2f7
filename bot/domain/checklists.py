"""Runbook checklists in the channel: what one is once posted, and what a click on it changes.

A checklist's items are snapshotted when it is first posted; each item is ticked by someone at
some time, or not. The message shows them as Block Kit checkboxes, at most `PER_ELEMENT` to an
element, so item `position` lives in element `position // PER_ELEMENT`. Slack reports a click
as the clicked element's whole selection: `toggles` reads which of that element's items the
person changed, so that a click never touches items of another element, nor items someone
else changed meanwhile.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

PER_ELEMENT = 10
"""Slack's limit of options in one checkboxes element."""


class Declared(Protocol):
    """What the policy says of one checklist (`bot.config.Checklist`), as the rules need it."""

    @property
    def post_on(self) -> str: ...
    @property
    def severities(self) -> tuple[str, ...] | None: ...


@dataclass(frozen=True)
class Item:
    position: int
    text: str
    checked_by: str | None = None
    checked_at: datetime | None = None

    @property
    def is_checked(self) -> bool:
        return self.checked_by is not None


@dataclass(frozen=True)
class Checklist:
    """A checklist posted (or being posted) in an incident's channel, with its items' state."""

    id: int
    incident_id: int
    name: str
    title: str
    post_on: str
    channel_id: str
    message_ts: str | None
    is_lost: bool
    revision: int
    posted_at: datetime
    items: tuple[Item, ...]

    @property
    def done(self) -> int:
        return sum(item.is_checked for item in self.items)

    @property
    def progress(self) -> str:
        """`4/11`: items ticked of all items."""
        return f"{self.done}/{len(self.items)}"

    @property
    def is_complete(self) -> bool:
        return self.done == len(self.items)

    @property
    def missing(self) -> list[str]:
        """The items nobody has ticked, in order."""
        return [item.text for item in self.items if not item.is_checked]

    def element(self, index: int) -> tuple[Item, ...]:
        """The items of checkboxes element `index` (0-based)."""
        return self.items[index * PER_ELEMENT : (index + 1) * PER_ELEMENT]

    @property
    def elements(self) -> list[tuple[Item, ...]]:
        return [self.element(i) for i in range(-(-len(self.items) // PER_ELEMENT))]


@dataclass(frozen=True)
class Progress:
    """A checklist's progress as a gate or a listing shows it, posted or not."""

    name: str
    title: str
    done: int
    total: int
    missing: tuple[str, ...]
    is_posted: bool

    @property
    def progress(self) -> str:
        return f"{self.done}/{self.total}"

    @property
    def is_complete(self) -> bool:
        return self.done == self.total


def progress_of(name: str, title: str, items: Sequence[str], posted: Checklist | None) -> Progress:
    """The progress of checklist `name`: its posted state, else all of its policy's items open."""
    if posted is None:
        return Progress(name, title, 0, len(items), tuple(items), is_posted=False)
    return Progress(
        name,
        posted.title,
        posted.done,
        len(posted.items),
        tuple(posted.missing),
        is_posted=not posted.is_lost,
    )


@dataclass(frozen=True)
class Toggle:
    """One item ticked (`checked`) or unticked by a click."""

    position: int
    checked: bool


def toggles(
    element: Iterable[Item], selected: Collection[int], seen: Collection[int] | None
) -> list[Toggle]:
    """What a click on one checkboxes element changes: each of the element's items whose
    selection differs from what the clicker saw (`seen`, the element's ticked items in the
    message the click came from), or, when that is unknown, from the stored state. Items of
    other elements are never touched, and a tick someone else made after the clicker's view
    was drawn is not undone by it."""
    changed = []
    for item in element:
        was = item.position in seen if seen is not None else item.is_checked
        wanted = item.position in selected
        if wanted != was and wanted != item.is_checked:
            changed.append(Toggle(item.position, wanted))
    return changed


def posted_on(
    declared: Mapping[str, Declared], moment: str, severity: str | None = None
) -> list[str]:
    """The names of the checklists the policy posts at `moment` (`declare`, `resolve`); on
    declare only those whose `severities` include `severity` (all when unset)."""
    return [
        name
        for name, checklist in declared.items()
        if checklist.post_on == moment
        and (checklist.severities is None or severity is None or severity in checklist.severities)
    ]
