"""A reminder's buttons, and the update form behind "Post update".

Every listener acks first. "Post update" opens the modal in a task started right after the
ack, because the click's `trigger_id` is good for 3 seconds; snoozes and form submissions run
in the background like commands do, and problems are answered ephemerally.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.commands import PostUpdate
from bot.domain.status import OPEN_STATUSES, Status
from bot.errors import IncidentBotError
from bot.services.container import Services
from bot.services.context import Invocation
from bot.services.reminders import Reminders
from bot.slack.gateway import SlackError
from bot.slack.reminder_messages import (
    FIELD_LIMITS,
    POST_UPDATE,
    SNOOZE_PREFIX,
    UPDATE_FORM,
    FormField,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Click:
    """A click on a reminder's button, from the `block_actions` payload."""

    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str
    action_id: str
    block_id: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "Click":
        action = body["actions"][0]
        return cls(
            user_id=str(body["user"]["id"]),
            channel_id=str(body["container"]["channel_id"]),
            trigger_id=str(body["trigger_id"]),
            response_url=str(body["response_url"]),
            action_id=str(action["action_id"]),
            block_id=str(action.get("block_id", "")),
        )


@dataclass(frozen=True)
class UpdateForm:
    """The submitted update form, from the `view_submission` payload."""

    user_id: str
    channel_id: str
    view_id: str
    status: str
    impact: str
    actions_taken: str
    next_steps: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "UpdateForm":
        view = body["view"]
        values: dict[str, dict[str, Any]] = view["state"]["values"]

        def text(field: str) -> str:
            return str(values.get(field, {}).get(field, {}).get("value") or "").strip()

        selected = values.get(FormField.STATUS, {}).get(FormField.STATUS, {})
        return cls(
            user_id=str(body["user"]["id"]),
            channel_id=str(json.loads(view["private_metadata"])["channel"]),
            view_id=str(view["id"]),
            status=str((selected.get("selected_option") or {}).get("value", "")),
            impact=text(FormField.IMPACT),
            actions_taken=text(FormField.ACTIONS),
            next_steps=text(FormField.NEXT_STEPS),
        )

    def problems(self) -> dict[str, str]:
        """Per-field errors Slack shows under the inputs, keeping the form open."""
        problems = {
            field: f"At most {limit} characters, please (this is {len(value)})."
            for field, limit, value in (
                (FormField.IMPACT, FIELD_LIMITS[FormField.IMPACT], self.impact),
                (FormField.ACTIONS, FIELD_LIMITS[FormField.ACTIONS], self.actions_taken),
                (FormField.NEXT_STEPS, FIELD_LIMITS[FormField.NEXT_STEPS], self.next_steps),
            )
            if len(value) > limit
        }
        if not self.actions_taken:
            problems[FormField.ACTIONS] = "Say what was done since the last update."
        if self.status not in OPEN_STATUSES:
            problems[FormField.STATUS] = "Choose an open status; resolve with `/incident resolve`."
        return problems

    def command(self) -> PostUpdate:
        return PostUpdate(
            self.actions_taken,
            Status(self.status),
            impact=self.impact or None,
            next_steps=self.next_steps or None,
        )


def register(app: AsyncApp, services: Services) -> None:
    reminders = services.reminders

    async def post_update_clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = Click.parse(body)
        services.background.start(_open_form(services, reminders, click), name="reminder:form")

    async def snooze_clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = Click.parse(body)
        services.background.start(_snooze(services, reminders, click), name="reminder:snooze")

    async def update_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        form = UpdateForm.parse(body)
        problems = form.problems()
        if problems:
            await ack(response_action="errors", errors=problems)
            return
        await ack()
        services.background.start(_post_update(services, form), name="reminder:update")

    app.action(POST_UPDATE)(post_update_clicked)
    app.action(re.compile(rf"^{re.escape(SNOOZE_PREFIX)}\d+$"))(snooze_clicked)
    app.view(UPDATE_FORM)(update_submitted)


async def _open_form(services: Services, reminders: Reminders, click: Click) -> None:
    try:
        view = await reminders.update_form(click.channel_id)
        await services.slack.open_view(click.trigger_id, view)
    except IncidentBotError as error:
        await services.slack.respond(click.response_url, services.compose.problem(error))
    except SlackError as error:
        log.warning("update_form_not_opened", error=error.error)
        problem = f"Slack did not open the update form ({error.error}): click the button again."
        await services.slack.respond(click.response_url, services.compose.usage_error(problem))


async def _snooze(services: Services, reminders: Reminders, click: Click) -> None:
    minutes = int(click.action_id.removeprefix(SNOOZE_PREFIX))
    try:
        await reminders.snooze(click.channel_id, click.user_id, minutes, click.block_id)
    except IncidentBotError as error:
        await services.slack.respond(click.response_url, services.compose.problem(error))


async def _post_update(services: Services, form: UpdateForm) -> None:
    """Post Update #N through the same service call as `/incident update`."""
    who = Invocation(form.user_id, form.channel_id, delivery_key=f"view:{form.view_id}")
    if not await services.incidents.claim(who.delivery_key):
        log.info("duplicate_submission_ignored")
        return
    try:
        await services.incidents.post_update(form.command(), who)
    except IncidentBotError as error:
        await services.slack.post_ephemeral(
            form.channel_id, form.user_id, services.compose.problem(error)
        )
