"""The `/incident` subcommands: one record each, in one table, `SUBCOMMANDS`.

A record is everything about one subcommand: its word, usage line, help example and summary,
the parser that reads it (`bot.domain.grammar`), the service call that runs it, and whether it
only reads. Help, usage lines, parsing and routing are all derived from the table, so adding a
subcommand is its record here, its service method and its template (and, in the domain, its
command type and parser). `Subcommand` is generic in the command type, so mypy checks that a
record's parser and its call agree; the table holds records of different command types through
the `Route` protocol, which is all the handler needs.

Why the application layer: a record names a service call, which the pure domain may not; and the
services (the usage line in a refusal) and the policy (an action may not take a subcommand's
word) read this table, which they could not import from `handlers/`. The service types are
imported for annotations only, so that reading a usage line does not import every service back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from bot.domain.commands import (
    TIMELINE_DEFAULT,
    TIMELINE_MAX,
    Command,
    HelpEntry,
    ListActions,
    ListIncidents,
    ShowStatus,
    WritePostmortem,
)
from bot.domain.grammar import (
    Typed,
    no_arguments,
    parse_assign,
    parse_checklist,
    parse_declare,
    parse_drill,
    parse_followup,
    parse_followups,
    parse_help,
    parse_note,
    parse_page,
    parse_regrade,
    parse_request_action,
    parse_resolve,
    parse_stats,
    parse_statuspage,
    parse_timeline,
    parse_update,
    split,
)
from bot.domain.severity import SeverityPolicy
from bot.errors import UsageError
from bot.services.context import Invocation, Reply
from bot.slack.messages import MAX_BLOCKS, SlackMessage

if TYPE_CHECKING:
    from bot.services.approvals import ApprovalService
    from bot.services.checklists import ChecklistService
    from bot.services.declarations import DeclarationService
    from bot.services.figures import FiguresService
    from bot.services.followups import FollowupService
    from bot.services.incidents import IncidentService
    from bot.services.paging import PagingService
    from bot.services.postmortems import PostmortemService
    from bot.services.statements import StatementService
    from bot.services.timeline import TimelineService
    from bot.slack.composer import Composer

C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class CommandServices:
    """The services the subcommands call: all the `/incident` handler is given of the container."""

    declarations: DeclarationService
    incidents: IncidentService
    timeline: TimelineService
    postmortems: PostmortemService
    approvals: ApprovalService
    compose: Composer
    checklists: ChecklistService
    figures: FiguresService
    followups: FollowupService
    paging: PagingService
    statements: StatementService


Call = Callable[[CommandServices, C, Invocation, Reply], Awaitable[object]]
"""A subcommand's work: its service called with the command, who ran it, and their ephemeral
reply. What the service returns (the incident, the request) is not shown: it answers through
`reply` or in the channel."""


class Route(HelpEntry, Protocol):
    """A subcommand as help, the handler and the policy see it, whatever its command type."""

    @property
    def read_only(self) -> bool: ...
    @property
    def in_ack(self) -> bool: ...
    @property
    def by_action_name(self) -> bool: ...
    def selected_by(self, word: str, actions: Collection[str]) -> bool: ...
    def parse(self, typed: Typed) -> Parsed: ...


@dataclass(frozen=True)
class Parsed:
    """A command read from text, with the subcommand it belongs to and the call that runs it."""

    route: Route
    command: Command
    run: Callable[[CommandServices, Invocation, Reply], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand(Generic[C]):
    """One subcommand: how it is written, read and run.

    `read_only` ones answer without claiming the delivery (running twice changes nothing);
    `in_ack` ones need no I/O and are answered inside Slack's 3-second ack; `by_action_name`
    is selected by the name of any of the policy's actions instead of its own word.
    """

    name: str
    usage: str
    example: str
    summary: str
    parser: Callable[[Typed], C]
    call: Call[C]
    read_only: bool = False
    in_incident: bool = True
    in_ack: bool = False
    by_action_name: bool = False

    def selected_by(self, word: str, actions: Collection[str]) -> bool:
        return word in actions if self.by_action_name else word == self.name

    def parse(self, typed: Typed) -> Parsed:
        """Read `typed`; a refusal without a usage line gets this subcommand's."""
        try:
            command = self.parser(typed)
        except UsageError as error:
            if error.usage:
                raise
            raise UsageError(error.message, self.usage) from error

        async def run(services: CommandServices, who: Invocation, reply: Reply) -> None:
            await self.call(services, command, who, reply)

        return Parsed(self, command, run)


async def _answer(reply: Reply, message: Awaitable[SlackMessage]) -> None:
    await reply(await message)


def _actions(services: CommandServices) -> SlackMessage:
    """`/incident actions`: the catalog's actions, then whom `/incident page` can page."""
    actions = services.approvals.list_actions()
    paging = services.paging.listed()
    if paging is None:
        return actions
    blocks = [*actions.block_dicts(), *paging.block_dicts()][:MAX_BLOCKS]
    return SlackMessage(text=f"{actions.text}\n{paging.text}", recorded_blocks=blocks)


SUBCOMMANDS: tuple[Route, ...] = (
    Subcommand(
        "declare",
        "/incident declare <severity> <title…>",
        "/incident declare sev1 Checkout errors above 10%",
        "open an incident channel, post the initial template, announce it",
        parse_declare,
        lambda s, command, who, _: s.declarations.declare(command, who),
        in_incident=False,
    ),
    Subcommand(
        "drill",
        "/incident drill <severity> <title…>",
        "/incident drill sev2 Kill switch practice (runbook 000)",
        "declare a practice incident: drill-YYYYMMDD-NNN, marked DRILL, nobody paged, "
        "actions run as dry runs, a report against the targets on resolve",
        parse_drill,
        lambda s, command, who, _: s.declarations.declare(command, who),
        in_incident=False,
    ),
    Subcommand(
        "update",
        "/incident update [investigating|identified|mitigating|monitoring:] <text…>",
        "/incident update identified: bad deploy of api v2.3.1, rolling back",
        "post Update #N; a leading status word moves the status",
        parse_update,
        lambda s, command, who, _: s.incidents.post_update(command, who),
    ),
    Subcommand(
        "status",
        "/incident status",
        "/incident status",
        "show the incident's card: severity, status, roles, age, next update",
        no_arguments(ShowStatus()),
        lambda s, _, who, reply: _answer(reply, s.incidents.status_card(who)),
        read_only=True,
    ),
    Subcommand(
        "severity",
        "/incident severity <severity>",
        "/incident severity sev2",
        "re-grade the incident",
        parse_regrade,
        lambda s, command, who, _: s.incidents.regrade(command, who),
    ),
    Subcommand(
        "assign",
        "/incident assign <commander|lead|comms> @person",
        "/incident assign lead @alice",
        "give someone a role",
        parse_assign,
        lambda s, command, who, _: s.incidents.assign(command, who),
    ),
    Subcommand(
        "resolve",
        "/incident resolve <resolution…>",
        "/incident resolve Rolled back to v2.3.0; error rate back to baseline",
        "post the resolution notice and close the incident",
        parse_resolve,
        lambda s, command, who, _: s.incidents.resolve(command, who),
    ),
    Subcommand(
        "timeline",
        "/incident timeline [n]",
        "/incident timeline 20",
        f"show you the last n timeline entries (default {TIMELINE_DEFAULT}, at most {TIMELINE_MAX})",
        parse_timeline,
        lambda s, command, who, reply: _answer(reply, s.timeline.recent(command, who)),
        read_only=True,
    ),
    Subcommand(
        "note",
        "/incident note [root cause:|action item:|lesson:] <text…>",
        "/incident note root cause: v2.3.1 dropped the token refresh retry",
        "add a note to the timeline; a leading tag files it under that post-mortem section",
        parse_note,
        lambda s, command, who, _: s.timeline.note(command, who),
    ),
    Subcommand(
        "postmortem",
        "/incident postmortem",
        "/incident postmortem",
        "write the post-mortem from the timeline again and share it here",
        no_arguments(WritePostmortem()),
        lambda s, _, who, __: s.postmortems.regenerate(who),
    ),
    Subcommand(
        "list",
        "/incident list",
        "/incident list",
        "open incidents, newest first",
        no_arguments(ListIncidents()),
        lambda s, _, __, reply: _answer(reply, s.incidents.list_open()),
        read_only=True,
        in_incident=False,
    ),
    Subcommand(
        "actions",
        "/incident actions",
        "/incident actions",
        "the actions you can request (kill, pause, rollback…) and who approves them",
        no_arguments(ListActions()),
        lambda s, _, __, reply: reply(_actions(s)),
        read_only=True,
        in_incident=False,
    ),
    Subcommand(
        "action",
        "/incident <action> [params…] [--dry-run]",
        "/incident kill hybrid_progressive_capture --dry-run",
        "request one of the `/incident actions` by its name; another person approves it",
        parse_request_action,
        lambda s, command, who, _: s.approvals.request(command, who),
        by_action_name=True,
    ),
    Subcommand(
        "checklist",
        "/incident checklist [name]",
        "/incident checklist pre-rollback",
        "the runbook checklists with their progress (`4/11`); with a name, post that one here",
        parse_checklist,
        lambda s, command, who, reply: s.checklists.show(command, who, reply),
    ),
    Subcommand(
        "followup",
        "/incident followup <text…> [@owner] [due YYYY-MM-DD | due in 2w]",
        "/incident followup Add retries to the token refresh @bob due in 2w",
        "record a follow-up (also after resolve): posted with Done and Drop…, the owner is "
        "reminded when it falls due, the post-mortem lists it",
        parse_followup,
        lambda s, command, who, _: s.followups.record(command, who),
    ),
    Subcommand(
        "followups",
        "/incident followups [mine | @person | all | overdue]",
        "/incident followups overdue",
        "open follow-ups across incidents, from any channel (yours by default)",
        parse_followups,
        lambda s, command, who, reply: _answer(reply, s.followups.listing(command, who)),
        read_only=True,
        in_incident=False,
    ),
    Subcommand(
        "stats",
        "/incident stats [7d|30d|90d|YYYY-MM]",
        "/incident stats 30d",
        "incident figures of a period: by severity, times to response, mitigation and "
        "resolution, targets met, follow-ups, the trend; with a chart",
        parse_stats,
        lambda s, command, who, reply: s.figures.stats(command, who, reply),
        read_only=True,
        in_incident=False,
    ),
    Subcommand(
        "page",
        "/incident page <service> [message…]",
        "/incident page payments card payments fail since 14:02",
        "page a team's on-call through PagerDuty (the services `/incident actions` lists)",
        parse_page,
        lambda s, command, who, _: s.paging.page(command, who),
    ),
    Subcommand(
        "statuspage",
        "/incident statuspage <investigating|identified|monitoring|resolved> "
        "[component=status…] [public message…]",
        "/incident statuspage investigating checkout=major_outage Some payments fail; "
        "we are on it.",
        "ask to publish these exact words on the status page; another person approves them",
        parse_statuspage,
        lambda s, command, who, _: s.statements.request(command, who),
    ),
    Subcommand(
        "help",
        "/incident help",
        "/incident help",
        "this list",
        parse_help,
        lambda s, _, __, reply: reply(s.compose.help(SUBCOMMANDS)),
        read_only=True,
        in_incident=False,
        in_ack=True,
    ),
)

_BY_NAME = {route.name: route for route in SUBCOMMANDS}

BUILT_IN_WORDS = frozenset(route.name for route in SUBCOMMANDS if not route.by_action_name)
"""The words that select a subcommand; the policy's actions may not take one."""


def usage(name: str) -> str:
    """The usage line of subcommand `name`, for a refusal to show."""
    return _BY_NAME[name].usage


def parse(text: str, severities: SeverityPolicy, actions: Collection[str] = ()) -> Parsed:
    """Read the text after `/incident`; empty text asks for help.

    `actions` are the names of the policy's actions: a word that is no subcommand's but names
    one of them requests that action.
    """
    typed = split(text, severities)
    for route in SUBCOMMANDS:
        if route.selected_by(typed.word, actions):
            return route.parse(typed)
    word = text.strip().partition(" ")[0]
    raise UsageError(f"`{word}` is not an /incident command.", usage("help"))


def parse_command(text: str, severities: SeverityPolicy, actions: Collection[str] = ()) -> Command:
    """What the text after `/incident` means, without what runs it."""
    return parse(text, severities, actions).command
