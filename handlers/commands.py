"""`/incident …`: parse and acknowledge at once, then do the work after the ack.

The ack answers what needs no I/O (help, a usage error) inside Slack's 3-second window; the
work then runs in the background: it claims the delivery (so a duplicate changes nothing),
runs the subcommand's service call and replies ephemerally through `response_url`. What each
subcommand is, reads and calls is its record in `bot.services.commands`; nothing here names one.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.severity import SeverityPolicy
from bot.errors import UsageError
from bot.metrics import Metrics
from bot.services.background import Background
from bot.services.commands import CommandServices, Parsed, parse
from bot.services.container import Services
from bot.services.context import Invocation
from bot.slack.gateway import SlackGateway
from bot.slack.interactions import Malformed
from bot.slack.messages import SlackMessage
from bot.slack.slash_commands import read_slash_command
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
    background: Background
    severities: SeverityPolicy
    actions: Collection[str]

    @classmethod
    def of(cls, services: Services) -> "Desk":
        return cls(
            CommandServices(
                incidents=services.incidents,
                timeline=services.timeline,
                postmortems=services.postmortems,
                approvals=services.approvals,
                compose=services.compose,
            ),
            services.slack,
            services.metrics,
            services.background,
            services.policy.severities,
            services.approvals.catalog.names,
        )

    def parse(self, text: str) -> Parsed:
        return parse(text, self.severities, self.actions)


def _ack_payload(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.block_dicts()}


def register(app: AsyncApp, services: Services) -> None:
    desk = Desk.of(services)

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
        who = Invocation(
            user_id=slash.user_id,
            channel_id=slash.channel_id,
            delivery_key=f"command:{slash.trigger_id}",
            response_url=slash.response_url,
        )
        name = parsed.route.name
        if parsed.route.in_ack:
            desk.metrics.commands.labels(name, "ok").inc()

            async def answer_in_ack(message: SlackMessage) -> None:
                await ack(**_ack_payload(message))

            await parsed.run(desk.calls, who, answer_in_ack)
            return
        structlog.contextvars.bind_contextvars(slack_request_id=slash.trigger_id, subcommand=name)
        await ack()
        desk.background.start(_run(desk, parsed, who, slash.response_url), name=f"command:{name}")

    app.command("/incident")(incident_command)


async def _run(desk: Desk, parsed: Parsed, who: Invocation, response_url: str) -> None:
    """The command's work, after the ack: claim the delivery, do it, answer problems ephemerally."""
    name = parsed.route.name
    if not parsed.route.read_only and not await desk.calls.incidents.claim(who.delivery_key):
        log.info("duplicate_command_ignored")
        return

    async def reply(message: SlackMessage) -> None:
        await desk.slack.respond(response_url, message)

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
    try:
        parsed = desk.parse(text)
    except UsageError as error:
        await desk.slack.respond(response_url, desk.calls.compose.problem(error))
        return
    await _run(desk, parsed, who, response_url)
