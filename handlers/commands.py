"""`/incident …`: parse and acknowledge at once, then do the work after the ack.

The ack answers what needs no I/O (help, a usage error) inside Slack's 3-second window; the
work then runs in the background: it claims the delivery (so a duplicate changes nothing),
calls one service function and replies ephemerally through `response_url`.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.commands import (
    AddNote,
    Assign,
    Command,
    Declare,
    Help,
    ListActions,
    ListIncidents,
    PostUpdate,
    Regrade,
    RequestAction,
    Resolve,
    ShowStatus,
    ShowTimeline,
    WritePostmortem,
    name_of,
)
from bot.domain.grammar import parse_command
from bot.errors import UsageError
from bot.services.container import Services
from bot.services.context import Invocation, Reply
from bot.slack.messages import SlackMessage
from handlers.replies import answered

log = structlog.get_logger(__name__)

Route = Callable[[Services, Any, Invocation, Reply], Awaitable[None]]


async def _declare(services: Services, command: Declare, who: Invocation, reply: Reply) -> None:
    await services.incidents.declare(command, who, reply)


async def _update(services: Services, command: PostUpdate, who: Invocation, _: Reply) -> None:
    await services.incidents.post_update(command, who)


async def _status(services: Services, _: ShowStatus, who: Invocation, reply: Reply) -> None:
    await reply(await services.incidents.status_card(who))


async def _regrade(services: Services, command: Regrade, who: Invocation, _: Reply) -> None:
    await services.incidents.regrade(command, who)


async def _assign(services: Services, command: Assign, who: Invocation, _: Reply) -> None:
    await services.incidents.assign(command, who)


async def _resolve(services: Services, command: Resolve, who: Invocation, _: Reply) -> None:
    await services.incidents.resolve(command, who)


async def _list(services: Services, _: ListIncidents, __: Invocation, reply: Reply) -> None:
    await reply(await services.incidents.list_open())


async def _timeline(
    services: Services, command: ShowTimeline, who: Invocation, reply: Reply
) -> None:
    await reply(await services.timeline.recent(command, who))


async def _note(services: Services, command: AddNote, who: Invocation, _: Reply) -> None:
    await services.timeline.note(command, who)


async def _postmortem(services: Services, _: WritePostmortem, who: Invocation, __: Reply) -> None:
    await services.postmortems.regenerate(who)


async def _request_action(
    services: Services, command: RequestAction, who: Invocation, _: Reply
) -> None:
    await services.approvals.request(command, who)


async def _list_actions(services: Services, _: ListActions, __: Invocation, reply: Reply) -> None:
    await reply(services.approvals.list_actions())


ROUTES: dict[type, Route] = {
    Declare: _declare,
    PostUpdate: _update,
    ShowStatus: _status,
    Regrade: _regrade,
    Assign: _assign,
    Resolve: _resolve,
    ListIncidents: _list,
    ShowTimeline: _timeline,
    AddNote: _note,
    WritePostmortem: _postmortem,
    RequestAction: _request_action,
    ListActions: _list_actions,
}
READ_ONLY = (ShowStatus, ListIncidents, ShowTimeline, ListActions)


def _ack_payload(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.block_dicts()}


def register(app: AsyncApp, services: Services) -> None:
    async def incident_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            command = parse_command(
                str(body.get("text", "")),
                services.policy.severities,
                services.approvals.catalog.names,
            )
        except UsageError as error:
            services.metrics.commands.labels("invalid", "usage_error").inc()
            await ack(**_ack_payload(services.compose.problem(error)))
            return
        if isinstance(command, Help):
            services.metrics.commands.labels("help", "ok").inc()
            await ack(**_ack_payload(services.compose.help()))
            return
        who = Invocation(
            user_id=str(body["user_id"]),
            channel_id=str(body["channel_id"]),
            delivery_key=f"command:{body.get('trigger_id')}",
        )
        name = name_of(command)
        structlog.contextvars.bind_contextvars(
            slack_request_id=body.get("trigger_id"), subcommand=name
        )
        await ack()
        services.background.start(
            _run(services, command, who, str(body["response_url"])), name=f"command:{name}"
        )

    app.command("/incident")(incident_command)


async def _run(services: Services, command: Command, who: Invocation, response_url: str) -> None:
    """The command's work, after the ack: claim the delivery, do it, answer problems ephemerally."""
    name = name_of(command)
    if not isinstance(command, READ_ONLY) and not await services.incidents.claim(who.delivery_key):
        log.info("duplicate_command_ignored")
        return

    async def reply(message: SlackMessage) -> None:
        await services.slack.respond(response_url, message)

    with services.metrics.work_seconds.labels(name).time():
        work = ROUTES[type(command)](services, command, who, reply)
        outcome = await answered(work, reply=reply, compose=services.compose)
    services.metrics.commands.labels(name, outcome).inc()


async def run_as_typed(services: Services, text: str, who: Invocation, response_url: str) -> None:
    """Run `/incident <text>` as if `who` had typed it where they clicked.

    A button that stands for a command (an alert's "Request rollback") takes the command's own
    path: the same parsing, delivery claim, routing and ephemeral answers.
    """
    try:
        command = parse_command(text, services.policy.severities, services.approvals.catalog.names)
    except UsageError as error:
        await services.slack.respond(response_url, services.compose.problem(error))
        return
    if isinstance(command, Help):
        await services.slack.respond(response_url, services.compose.help())
        return
    await _run(services, command, who, response_url)
