"""The buttons alerts put in Slack: "Declare incident" on an offer in the announce channel, and
"Request <action>" on an incident's first message. Each acks at once and works after.
"""

import re
from typing import Any

import structlog
from pydantic import BaseModel, Field, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import IncidentBotError
from bot.services.container import Services
from bot.services.context import Invocation
from bot.slack.alert_messages import DECLARE_ACTION, REQUEST_ACTION
from bot.slack.messages import SlackMessage
from handlers.commands import run_as_typed

log = structlog.get_logger(__name__)


class Click(BaseModel):
    """The parts of a `block_actions` payload these buttons use."""

    user_id: str
    channel_id: str
    value: str
    trigger_id: str
    response_url: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> "Click":
        action = (body.get("actions") or [{}])[0]
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            channel_id=str(channel.get("id") or container.get("channel_id", "")),
            value=str(action.get("value", "")),
            trigger_id=str(body.get("trigger_id", "")),
            response_url=str(body.get("response_url", "")),
        )

    @property
    def who(self) -> Invocation:
        return Invocation(self.user_id, self.channel_id, f"click:{self.trigger_id}")


class ActionRequest(BaseModel):
    """A "Request <action>" button's value: the action and the parameters filled from labels."""

    action: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    args: dict[str, str] = Field(default_factory=dict)

    def as_text(self) -> str:
        """The words a person would type after `/incident`."""
        words = [f"{name}={value}" for name, value in self.args.items() if value.split() == [value]]
        return " ".join([self.action, *words])


def register(app: AsyncApp, services: Services) -> None:
    async def declare_clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = Click.from_body(body)
        structlog.contextvars.bind_contextvars(slack_request_id=click.trigger_id)
        services.background.start(_declare(services, click), name="alert:declare")

    async def request_clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = Click.from_body(body)
        structlog.contextvars.bind_contextvars(slack_request_id=click.trigger_id)
        services.background.start(_request(services, click), name="alert:request_action")

    app.action(DECLARE_ACTION)(declare_clicked)
    app.action(re.compile(rf"^{re.escape(REQUEST_ACTION)}(:.*)?$"))(request_clicked)


async def _declare(services: Services, click: Click) -> None:
    """Declare from an offered alert; whoever clicked becomes the commander."""

    async def reply(message: SlackMessage) -> None:
        await services.slack.respond(click.response_url, message)

    if not click.value.isdigit():
        await reply(services.compose.usage_error("This button does not name an alert."))
        return
    if not await services.incidents.claim(click.who.delivery_key):
        log.info("duplicate_click_ignored")
        return
    try:
        await services.alerts.declare_offered(int(click.value), click.who, reply)
    except IncidentBotError as error:
        await reply(services.compose.problem(error))


async def _request(services: Services, click: Click) -> None:
    """Open the approval flow as if `/incident <action> key=value …` was typed in the channel."""
    try:
        request = ActionRequest.model_validate_json(click.value)
    except ValidationError:
        await services.slack.respond(
            click.response_url, services.compose.usage_error("This button's request is unreadable.")
        )
        return
    await run_as_typed(services, request.as_text(), click.who, click.response_url)
