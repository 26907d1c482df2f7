"""The `/incident` commands: what each one is (a typed value) and how it is written (help).

The grammar that turns text into these lives in `bot.domain.grammar`.
"""

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.severity import SeverityLevel
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
    severity: SeverityLevel
    title: str


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
)


@dataclass(frozen=True)
class Subcommand:
    """How one subcommand is written, shown in `help` and in every usage error."""

    name: str
    usage: str
    example: str
    summary: str
    in_incident: bool


SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        Subcommand(
            "declare",
            "/incident declare <severity> <title…>",
            "/incident declare sev1 Checkout errors above 10%",
            "open an incident channel, post the initial template, announce it",
            False,
        ),
        Subcommand(
            "update",
            "/incident update [investigating|identified|mitigating|monitoring:] <text…>",
            "/incident update identified: bad deploy of api v2.3.1, rolling back",
            "post Update #N; a leading status word moves the status",
            True,
        ),
        Subcommand(
            "status",
            "/incident status",
            "/incident status",
            "show the incident's card: severity, status, roles, age, next update",
            True,
        ),
        Subcommand(
            "severity",
            "/incident severity <severity>",
            "/incident severity sev2",
            "re-grade the incident",
            True,
        ),
        Subcommand(
            "assign",
            "/incident assign <commander|lead|comms> @person",
            "/incident assign lead @alice",
            "give someone a role",
            True,
        ),
        Subcommand(
            "resolve",
            "/incident resolve <resolution…>",
            "/incident resolve Rolled back to v2.3.0; error rate back to baseline",
            "post the resolution notice and close the incident",
            True,
        ),
        Subcommand(
            "timeline",
            "/incident timeline [n]",
            "/incident timeline 20",
            f"show you the last n timeline entries (default {TIMELINE_DEFAULT}, at most {TIMELINE_MAX})",
            True,
        ),
        Subcommand(
            "note",
            "/incident note [root cause:|action item:|lesson:] <text…>",
            "/incident note root cause: v2.3.1 dropped the token refresh retry",
            "add a note to the timeline; a leading tag files it under that post-mortem section",
            True,
        ),
        Subcommand(
            "postmortem",
            "/incident postmortem",
            "/incident postmortem",
            "write the post-mortem from the timeline again and share it here",
            True,
        ),
        Subcommand(
            "list", "/incident list", "/incident list", "open incidents, newest first", False
        ),
        Subcommand(
            "actions",
            "/incident actions",
            "/incident actions",
            "the actions you can request (kill, pause, rollback…) and who approves them; "
            "request one with `/incident <action> [params…] [--dry-run]` in the incident channel",
            False,
        ),
        Subcommand("help", "/incident help", "/incident help", "this list", False),
    )
}


def usage(name: str) -> str:
    return SUBCOMMANDS[name].usage


def name_of(command: Command) -> str:
    """The subcommand a parsed command came from."""
    return _COMMAND_NAMES[type(command)]


_COMMAND_NAMES: dict[type, str] = {
    Declare: "declare",
    PostUpdate: "update",
    ShowStatus: "status",
    Regrade: "severity",
    Assign: "assign",
    Resolve: "resolve",
    ListIncidents: "list",
    Help: "help",
    ShowTimeline: "timeline",
    AddNote: "note",
    WritePostmortem: "postmortem",
    ListActions: "actions",
    RequestAction: "action",
}
