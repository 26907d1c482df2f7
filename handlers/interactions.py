"""Every button and form the bot puts in Slack: approval cards, reminders, alerts, the update form.

One parser (`bot.slack.interactions`) reads each payload into a model of what the person asked
for. A payload it cannot read is refused one way, whatever it came from: acknowledged (a refusal
would only make Slack send it again), logged as `interaction_malformed` with the reason, counted,
and answered to the person when Slack gave a response_url (a form has none: it just closes).

A readable click is acknowledged at once and worked on after the ack — "Post update" too, whose
trigger_id is good for 3 seconds — through `handlers.replies.answered`, so a refusal, Slack's
refusal or a bug reaches the person as it does for a command. A form is checked before its ack,
so a field's problem keeps the form open with the problem under the field.
"""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any, assert_never

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.services import approvals
from bot.services.alerts import AlertService
from bot.services.approvals import ApprovalService
from bot.services.background import Background
from bot.services.checklists import ChecklistService
from bot.services.container import Services
from bot.services.context import Answers, Invocation, Reply
from bot.services.followups import FollowupService
from bot.services.incidents import IncidentService
from bot.services.reminders import Reminders
from bot.slack.composer import Composer
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.interactions import (
    BUTTONS,
    FORMS,
    Button,
    Click,
    Decision,
    DeclareFromAlert,
    DropForm,
    DropWanted,
    FollowupDone,
    Malformed,
    RequestFromAlert,
    ResolvePublicly,
    Snooze,
    Tick,
    UpdateForm,
    UpdateWanted,
    read_click,
    read_submission,
)
from handlers.commands import run_as_typed
from handlers.replies import answered

log = structlog.get_logger(__name__)

RunCommand = Callable[[str, Invocation, str], Coroutine[Any, Any, None]]
"""Run `/incident <text>` as `who` typed it, answering through a response_url."""

NAMES: dict[type, str] = {
    Decision: "approval",
    UpdateWanted: "post_update",
    Snooze: "snooze",
    DeclareFromAlert: "declare_from_alert",
    RequestFromAlert: "request_from_alert",
    UpdateForm: "update_form",
    Tick: "checklist_tick",
    FollowupDone: "followup_done",
    DropWanted: "followup_drop",
    DropForm: "followup_drop_form",
    ResolvePublicly: "resolve_publicly",
}
"""The `interaction` label of the metrics, and the name of the work in the logs."""
CLICK, FORM, TICK = "click", "form", "tick"
"""The inbox's kinds: a button click, a form submission, a checklist tick."""
TICKS_AT_ONCE = 1
"""Checklist ticks run one at a time per replica (each re-draws its message, and the ticks of one
checklist take turns on its row anyway): a burst of ticks then leaves the other inbox slots,
and the event loop, to acks and other requests."""
"""The inbox's names for a button's click and a form's submission."""


@dataclass(frozen=True)
class Interactions:
    """The services buttons and forms use; `clicked` and `submitted` are Bolt's listeners."""

    approvals: ApprovalService
    incidents: IncidentService
    alerts: AlertService
    reminders: Reminders
    checklists: ChecklistService
    followups: FollowupService
    slack: SlackGateway
    compose: Composer
    metrics: Metrics
    background: Background
    inbox: Inbox
    answers: Answers
    run_command: RunCommand

    async def clicked(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Record the click in the inbox, then ack; "Post update" opens its form at once
        instead (its trigger_id is good for 3 seconds, and it changes nothing)."""
        try:
            button = read_click(body)
        except Malformed as error:
            await ack()
            await self._refuse(error)
            return
        structlog.contextvars.bind_contextvars(slack_request_id=button.click.trigger_id)
        if isinstance(button, UpdateWanted | DropWanted):
            await ack()
            self.background.start(self._answer(button), name="click:open_form")
            return
        kind = TICK if isinstance(button, Tick) else CLICK
        await self.inbox.receive(kind, f"click:{button.click.trigger_id}", _kept(button, body))
        await ack()

    async def submitted(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            form = read_submission(body)
        except Malformed as error:
            await ack()
            await self._refuse(error)
            return
        problems = form.problems()
        if problems:
            await ack(response_action="errors", errors=problems)
            return
        await self.inbox.receive(FORM, f"view:{form.view_id}", body)
        await ack()

    async def run_click(self, body: dict[str, Any]) -> None:
        """A click recorded in the inbox, read again and answered."""
        await self._answer(read_click(body))

    async def run_form(self, body: dict[str, Any]) -> None:
        """A form submission recorded in the inbox, read again and posted."""
        form = read_submission(body)
        if isinstance(form, DropForm):
            await self._drop(form)
        else:
            await self._post_update(form)

    async def _refuse(self, error: Malformed) -> None:
        """The one answer to an unreadable payload (see the module's docstring)."""
        log.warning("interaction_malformed", reason=error.reason)
        self.metrics.interactions.labels("unreadable", "malformed").inc()
        if error.response_url:
            reply = self.answers.to(error.response_url, private=True)
            await reply(self.compose.unreadable())

    async def _answer(self, button: Button) -> None:
        """Do what the button asks; answer problems privately, leaving its message as it is."""

        reply = self.answers.to(button.click.response_url, private=True)
        outcome = await answered(self._work(button, reply), reply=reply, compose=self.compose)
        self.metrics.interactions.labels(NAMES[type(button)], outcome).inc()

    def _work(self, button: Button, reply: Reply) -> Awaitable[object]:
        """What the button asks for, as work not yet started."""
        match button:
            case Decision():
                structlog.contextvars.bind_contextvars(request_id=button.request_id)
                judge = self.approvals.approve if button.is_approval else self.approvals.deny
                return judge(_approval_click(button))
            case UpdateWanted():
                return self._open_form(button.click, reply)
            case Snooze():
                clicked = button.click
                return self.reminders.snooze(
                    clicked.channel_id, clicked.user_id, button.minutes, button.reminder
                )
            case DeclareFromAlert():
                return self._declare(button, reply)
            case RequestFromAlert() | ResolvePublicly():
                clicked = button.click
                return self.run_command(button.as_text(), _who(clicked), clicked.response_url)
            case Tick():
                structlog.contextvars.bind_contextvars(checklist_id=button.checklist_id)
                return self.checklists.tick(button, reply)
            case FollowupDone():
                return self.followups.done(button, reply)
            case DropWanted():
                return self.followups.open_drop_form(button, reply)
            case _:
                assert_never(button)

    async def _open_form(self, click: Click, reply: Reply) -> None:
        view = await self.reminders.update_form(click.channel_id)
        try:
            await self.slack.open_view(click.trigger_id, view)
        except SlackError as error:
            log.warning("update_form_not_opened", error=error.error)
            problem = f"Slack did not open the update form ({error.error}): click the button again."
            await reply(self.compose.usage_error(problem))

    async def _declare(self, button: DeclareFromAlert, reply: Reply) -> None:
        """Declare from an offered alert; whoever clicked becomes the commander."""
        await self.alerts.declare_offered(button.alert_id, _who(button.click), reply)

    async def _post_update(self, form: UpdateForm) -> None:
        """Post Update #N through the same service call as `/incident update`."""
        who = Invocation(form.user_id, form.channel_id, delivery_key=f"view:{form.view_id}")

        async def post() -> None:
            await self.incidents.post_update(form.command(), who)

        reply = self.answers.privately(form.channel_id, form.user_id)
        outcome = await answered(post(), reply=reply, compose=self.compose)
        self.metrics.interactions.labels(NAMES[UpdateForm], outcome).inc()

    async def _drop(self, form: DropForm) -> None:
        """Drop a follow-up with the reason the form gave."""
        reply = self.answers.privately(form.channel_id, form.user_id)
        outcome = await answered(
            self.followups.drop(form, reply), reply=reply, compose=self.compose
        )
        self.metrics.interactions.labels(NAMES[DropForm], outcome).inc()


def _kept(button: Button, body: dict[str, Any]) -> dict[str, Any]:
    """What the inbox keeps of a click: all of it, but of a checklist's message only the
    clicked block (what `read_click` reads of it): a 60-item checklist is kilobytes of JSON
    the ack would otherwise write."""
    message = body.get("message")
    if not isinstance(button, Tick) or not isinstance(message, dict):
        return body
    clicked = body["actions"][0].get("block_id")
    blocks = [
        b
        for b in message.get("blocks") or []
        if isinstance(b, dict) and b.get("block_id") == clicked
    ]
    return {**body, "message": {"blocks": blocks}}


def _who(click: Click) -> Invocation:
    return Invocation(
        click.user_id, click.channel_id, f"click:{click.trigger_id}", click.response_url
    )


def _approval_click(decision: Decision) -> approvals.Click:
    clicked = decision.click
    return approvals.Click(
        clicked.user_id,
        clicked.channel_id,
        clicked.message_ts,
        decision.request_id,
        clicked.response_url,
    )


def register(app: AsyncApp, services: Services) -> None:
    interactions = Interactions(
        approvals=services.approvals,
        incidents=services.incidents,
        alerts=services.alerts,
        reminders=services.reminders,
        checklists=services.checklists,
        followups=services.followups,
        slack=services.slack,
        compose=services.compose,
        metrics=services.metrics,
        background=services.background,
        inbox=services.inbox,
        answers=services.answers,
        run_command=partial(run_as_typed, services),
    )
    services.inbox.register(CLICK, interactions.run_click)
    services.inbox.register(TICK, interactions.run_click, at_most=TICKS_AT_ONCE)
    services.inbox.register(FORM, interactions.run_form)
    for action_id in BUTTONS:
        app.action(action_id)(interactions.clicked)
    for callback_id in FORMS:
        app.view(callback_id)(interactions.submitted)
