"""The `/incident` commands: what each one is, as a typed value.

The parsers that turn text into these live in `bot.domain.grammar`; how each is written (usage,
help) and what runs it is its record in `bot.services.commands`.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.followups import Scope
from bot.domain.severity import SeverityLevel
from bot.domain.statements import Statement
from bot.domain.status import Status
from bot.domain.timeline import NoteTag

TIMELINE_DEFAULT = 10
TIMELINE_MAX = 50
"""A timeline line is at most a few hundred characters; 50 stay inside one message's limits."""


class Role(StrEnum):
    COMMANDER = "commander"
    LEAD = "lead"
    COMMS = "comms"

    @property
    def label(self) -> str:
        return _ROLE_TITLES[self]


_ROLE_TITLES = {
    Role.COMMANDER: "Incident commander",
    Role.LEAD: "Technical lead",
    Role.COMMS: "Communications lead",
}


@dataclass(frozen=True)
class Declare:
    """`/incident declare`, or `/incident drill` (`is_drill`): the same declaration, practised."""

    severity: SeverityLevel
    title: str
    is_drill: bool = False


@dataclass(frozen=True)
class PostUpdate:
    """Update #N: `text` is what was done; the update form also fills impact and next steps."""

    text: str
    status: Status | None
    impact: str | None = None
    next_steps: str | None = None


@dataclass(frozen=True)
class ShowStatus:
    pass


@dataclass(frozen=True)
class Regrade:
    severity: SeverityLevel


@dataclass(frozen=True)
class Assign:
    role: Role
    user_id: str


@dataclass(frozen=True)
class Resolve:
    resolution: str


@dataclass(frozen=True)
class ListIncidents:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ShowTimeline:
    count: int


@dataclass(frozen=True)
class AddNote:
    text: str
    tag: NoteTag | None


@dataclass(frozen=True)
class WritePostmortem:
    pass


@dataclass(frozen=True)
class ListActions:
    pass


@dataclass(frozen=True)
class RequestAction:
    """`/incident <action> <args…> [--dry-run]`: the words are bound to the action's params later."""

    name: str
    args: tuple[str, ...]
    dry_run: bool


@dataclass(frozen=True)
class ShowChecklists:
    """`/incident checklist [name]`: list the checklists with their progress, or post one."""

    name: str | None


@dataclass(frozen=True)
class PeriodSpec:
    """A period as typed: the last `days` days, or a calendar `month` (`(2026, 11)`)."""

    days: int | None = None
    month: tuple[int, int] | None = None

    @property
    def text(self) -> str:
        if self.month is not None:
            return f"{self.month[0]:04d}-{self.month[1]:02d}"
        return f"{self.days}d"


@dataclass(frozen=True)
class ShowStats:
    """`/incident stats [7d|30d|90d|YYYY-MM]`: the figures of a period (`bot.domain.figures`)."""

    period: PeriodSpec


@dataclass(frozen=True)
class AddFollowup:
    """`/incident followup <text…> [@owner] [due YYYY-MM-DD | due in 2w]`: the date as typed,
    checked against today when it runs (`bot.domain.followups.due_date`)."""

    text: str
    owner_id: str | None
    due_on: date | None
    due_within: timedelta | None


@dataclass(frozen=True)
class ListFollowups:
    """`/incident followups [mine | @person | all | overdue]`; `person` with `Scope.PERSON`."""

    scope: Scope
    person: str | None = None


@dataclass(frozen=True)
class PageService:
    """`/incident page <service> [message…]`: page one more team through PagerDuty."""

    service: str
    message: str | None


@dataclass(frozen=True)
class RequestStatement:
    """`/incident statuspage <status> [component=state…] [words…]`: a public statement to approve."""

    statement: Statement


Command = (
    Declare
    | PostUpdate
    | ShowStatus
    | Regrade
    | Assign
    | Resolve
    | ListIncidents
    | Help
    | ShowTimeline
    | AddNote
    | WritePostmortem
    | ListActions
    | RequestAction
    | ShowChecklists
    | ShowStats
    | AddFollowup
    | ListFollowups
    | PageService
    | RequestStatement
)


class HelpEntry(Protocol):
    """What `/incident help` shows of a subcommand (a record of `bot.services.commands`)."""

    @property
    def name(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def example(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def in_incident(self) -> bool: ...
