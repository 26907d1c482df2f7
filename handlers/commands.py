"""`/incident …`: answer in the ack what can be, record the rest in the inbox, then ack.

The ack answers a usage error, help, and a read-only subcommand (status, list, timeline,
actions) when its answer is ready within `ACK_BUDGET_SECONDS`. Every other command is recorded
in the inbox before the ack (a retry of the same trigger is recognised there), and run from it
(`bot.inbox`): its service claims the delivery in the transaction that does the work, and the
person is answered through the outbox (`Answers`), so an answer written while Slack is away
arrives when it is back. What each
subcommand is, reads and calls is its record in `bot.services.commands`; nothing here names one.
"""

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.severity import SeverityPolicy
from bot.errors import UsageError
from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.services.commands import CommandServices, Parsed, parse
from bot.services.container import Services
from bot.services.context import Answers, Invocation, Reply
from bot.slack.gateway import SlackGateway
from bot.slack.interactions import Malformed
from bot.slack.messages import SlackMessage
from bot.slack.slash_commands import SlashCommand, read_slash_command
from handlers.replies import answered

log = structlog.get_logger(__name__)

UNREADABLE = "That command could not be read, so nothing was done: type it again."
"""The ack of a command Slack sent without a field it always sends (logged as `command_malformed`)."""


@dataclass(frozen=True)
class Desk:
    """What running `/incident` uses of the process's services, and nothing else."""

    calls: CommandServices
    slack: SlackGateway
    metrics: Metrics
    inbox: Inbox
    answers: Answers
    severities: SeverityPolicy
    actions: Collection[str]
    answering: asyncio.Semaphore
    """Answers in the ack take their turn first come, first served: asyncpg's pool hands its
    connections out last-in first-out, which under load leaves the earliest requests waiting."""

    @classmethod
    def of(cls, services: Services) -> "Desk":
        return cls(
            CommandServices(
                declarations=services.declarations,
                incidents=services.incidents,
                timeline=services.timeline,
                postmortems=services.postmortems,
                approvals=services.approvals,
                compose=services.compose,
                checklists=services.checklists,
                figures=services.figures,
                followups=services.followups,
                paging=services.paging,
                statements=services.statements,
            ),
            services.slack,
            services.metrics,
            services.inbox,
            services.answers,
            services.policy.severities,
            services.approvals.catalog.names,
            asyncio.Semaphore(max(services.settings.database_pool_size - 2, 1)),
        )

    def parse(self, text: str) -> Parsed:
        return parse(text, self.severities, self.actions)


def _ack_payload(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.block_dicts()}


ACK_BUDGET_SECONDS = 2.0
"""How long a read-only answer may take to be given in the ack itself; past it, the command
waits in the inbox and is answered through its response_url (Slack wants the ack in 3 s)."""


def register(app: AsyncApp, services: Services) -> None:
    desk = Desk.of(services)
    services.inbox.register(KIND, partial(_from_inbox, desk))

    async def incident_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            slash = read_slash_command(body)
        except Malformed as error:
            log.warning("command_malformed", reason=error.reason)
            desk.metrics.commands.labels("invalid", "malformed").inc()
            await ack(**_ack_payload(desk.calls.compose.usage_error(UNREADABLE)))
            return
        try:
            parsed = desk.parse(slash.text)
        except UsageError as error:
            desk.metrics.commands.labels("invalid", "usage_error").inc()
            await ack(**_ack_payload(desk.calls.compose.problem(error)))
            return
        who = _who(slash)
        name = parsed.route.name
        structlog.contextvars.bind_contextvars(slack_request_id=slash.trigger_id, subcommand=name)
        if parsed.route.in_ack or parsed.route.read_only:
            answer = await _answer_now(desk, parsed, who)
            if answer is not None:
                await ack(**_ack_payload(answer))
                return
        if not await desk.inbox.receive(KIND, who.delivery_key, _recorded(slash)):
            log.info("duplicate_command_ignored")
        await ack()

    app.command("/incident")(incident_command)


KIND = "command"
"""The inbox's name for a slash command (and a button that stands for one)."""


def _recorded(slash: SlashCommand) -> dict[str, Any]:
    """What running the command needs later, from any replica."""
    return slash.model_dump()


def _who(slash: SlashCommand) -> Invocation:
    return Invocation(
        user_id=slash.user_id,
        channel_id=slash.channel_id,
        delivery_key=f"command:{slash.trigger_id}",
        response_url=slash.response_url,
    )


async def _answer_now(desk: Desk, parsed: Parsed, who: Invocation) -> SlackMessage | None:
    """A read-only answer, for the ack itself; None if it is not ready within the budget."""
    answers: list[SlackMessage] = []

    async def keep(message: SlackMessage) -> None:
        answers.append(message)

    name = parsed.route.name
    try:
        async with asyncio.timeout(ACK_BUDGET_SECONDS), desk.answering:
            outcome = await answered(
                parsed.run(desk.calls, who, keep), reply=keep, compose=desk.calls.compose
            )
    except TimeoutError:
        log.warning("answer_not_ready_for_the_ack", budget_seconds=ACK_BUDGET_SECONDS)
        return None
    desk.metrics.commands.labels(name, outcome).inc()
    return answers[0] if answers else None


async def _from_inbox(desk: Desk, recorded: dict[str, Any]) -> None:
    """Run a recorded command: parsed again (as it was typed), answered through its URL."""
    slash = read_slash_command(recorded)
    who = _who(slash)
    reply = desk.answers.to(slash.response_url)
    try:
        parsed = desk.parse(slash.text)
    except UsageError as error:
        await reply(desk.calls.compose.problem(error))
        return
    await _run(desk, parsed, who, reply)


async def _run(desk: Desk, parsed: Parsed, who: Invocation, reply: Reply) -> None:
    """The command's work, answering problems ephemerally (`handlers.replies.answered`)."""
    name = parsed.route.name
    with desk.metrics.work_seconds.labels(name).time():
        work = parsed.run(desk.calls, who, reply)
        outcome = await answered(work, reply=reply, compose=desk.calls.compose)
    desk.metrics.commands.labels(name, outcome).inc()


async def run_as_typed(services: Services, text: str, who: Invocation, response_url: str) -> None:
    """Run `/incident <text>` as if `who` had typed it where they clicked.

    A button that stands for a command (an alert's "Request rollback") takes the command's own
    path: the same parsing, delivery claim, routing and ephemeral answers.
    """
    desk = Desk.of(services)
    reply = desk.answers.to(response_url, private=True)
    try:
        parsed = desk.parse(text)
    except UsageError as error:
        await reply(desk.calls.compose.problem(error))
        return
    await _run(desk, parsed, who, reply)
