"""The messages and the modal of reminders and escalation, built into Block Kit.

The words come from `templates/` (user text escaped there); this module adds the structure a
template cannot express: the reminder's buttons and the update form.
"""

import json
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.cadence import SNOOZE_MINUTES
from bot.domain.durations import format_duration
from bot.domain.escalation import mentions, names
from bot.domain.grammar import MAX_TEXT
from bot.domain.incident import Incident
from bot.domain.mrkdwn import escape
from bot.domain.status import OPEN_STATUSES
from bot.slack.composer import Composer
from bot.slack.messages import SlackMessage, build_message

POST_UPDATE = "reminder.post_update"
SNOOZE_PREFIX = "reminder.snooze_"
UPDATE_FORM = "reminder.update"
"""callback_id of the update modal."""

MAX_FIELD = 1000
"""Impact and next steps: short by nature; with the update's words they fit one message."""


class FormField:
    """block_id = action_id of each input of the update form."""

    STATUS = "status"
    IMPACT = "impact"
    ACTIONS = "actions_taken"
    NEXT_STEPS = "next_steps"


FIELD_LIMITS = {
    FormField.IMPACT: MAX_FIELD,
    FormField.ACTIONS: MAX_TEXT,
    FormField.NEXT_STEPS: MAX_FIELD,
}


class ReminderMessages:
    def __init__(self, composer: Composer) -> None:
        self.templates = composer.templates
        self.severities = composer.policy.severities

    def _render(self, template: str, incident: Incident | None = None, **context: object) -> str:
        if incident is not None:
            context.update(incident=incident, severity=self.severities.get(incident.severity))
        return self.templates.render(template, **context)

    def reminder(
        self, incident: Incident, *, key: str, now: datetime, late_by: timedelta
    ) -> SlackMessage:
        """The reminder with its buttons; the buttons' block_id is the job key that posted it."""
        message = build_message(
            self._render(
                "reminder.mrkdwn.j2",
                incident,
                silent=now - (incident.last_update_at or incident.declared_at),
                cadence=self.severities.update_every(incident.severity),
                late_by=late_by,
            )
        )
        buttons = [
            ButtonElement(
                text="Post update",
                action_id=POST_UPDATE,
                value=incident.channel_id,
                style="primary",
            ),
            *(
                ButtonElement(
                    text=f"Snooze {format_duration(timedelta(minutes=minutes))}",
                    action_id=f"{SNOOZE_PREFIX}{minutes}",
                    value=str(minutes),
                )
                for minutes in SNOOZE_MINUTES
            ),
        ]
        return SlackMessage(
            message.text, [*message.blocks, ActionsBlock(block_id=key, elements=buttons)]
        )

    def snoozed(self, *, user: str, minutes: int, until: datetime) -> SlackMessage:
        return build_message(
            self._render(
                "reminder_snoozed.mrkdwn.j2",
                user=user,
                minutes=minutes,
                length=timedelta(minutes=minutes),
                until=until,
            )
        )

    def escalation(
        self, incident: Incident, *, after: timedelta, notify: list[str], late_by: timedelta
    ) -> SlackMessage:
        return build_message(
            self._render(
                "escalation.mrkdwn.j2",
                incident,
                after=after,
                notify=names(notify) if incident.is_drill else mentions(notify),
                late_by=late_by,
            )
        )

    def no_commander(
        self, incident: Incident, *, within: timedelta, late_by: timedelta
    ) -> SlackMessage:
        return build_message(
            self._render("no_commander.mrkdwn.j2", incident, within=within, late_by=late_by)
        )

    def update_form(self, incident: Incident) -> View:
        """The modal behind "Post update": the runbook's update template as a form.

        The status is pre-set to the incident's; `private_metadata` names the incident channel,
        so the submission is posted there as `/incident update` would be.
        """
        label = self.severities.get(incident.severity).label
        heading = f"*[{escape(label)}] {escape(incident.title)}*"
        return View(
            type="modal",
            callback_id=UPDATE_FORM,
            title=f"Post Update #{incident.update_count + 1}",
            submit="Post update",
            close="Cancel",
            private_metadata=json.dumps({"channel": incident.channel_id}),
            blocks=[
                ContextBlock(elements=[MarkdownTextObject(text=heading)]),
                _status_input(incident),
                _text_input(
                    FormField.IMPACT, "Impact", "Who is affected, and how badly", optional=True
                ),
                _text_input(
                    FormField.ACTIONS, "Update", "What was found or done since the last update"
                ),
                _text_input(
                    FormField.NEXT_STEPS,
                    "Next steps",
                    "What happens next; ETA if known",
                    optional=True,
                ),
            ],
        )


def _status_input(incident: Incident) -> InputBlock:
    options = [Option(value=s.value, label=s.label) for s in OPEN_STATUSES]
    return InputBlock(
        block_id=FormField.STATUS,
        label="Current status",
        element=StaticSelectElement(
            action_id=FormField.STATUS,
            options=options,
            initial_option=next(o for o in options if o.value == incident.status.value),
        ),
    )


def _text_input(field: str, label: str, placeholder: str, *, optional: bool = False) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=field,
            multiline=True,
            placeholder=placeholder,
            max_length=FIELD_LIMITS[field],
        ),
    )
