"""A follow-up as Slack shows it: its message with Done and Drop…, the Drop form, the list, the
owner's DM. The words come from `templates/`; this module adds the buttons and the form.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot.domain.followups import MAX_DROP_REASON, Followup, Scope
from bot.domain.incident import Incident
from bot.slack.messages import SlackMessage, build_message
from bot.slack.templates import Templates
from bot.store.followups import Listed

DONE = "followup.done"
DROP = "followup.drop"
"""The action ids of a follow-up's buttons; their value is the follow-up's id."""
DROP_FORM = "followup.drop_form"
"""callback_id of the form asking why a follow-up is dropped."""
REASON = "reason"
"""The form's one input: block_id and action_id."""


@dataclass(frozen=True)
class Export:
    """Where a new follow-up is opened as an issue, as its message names it."""

    system: str
    where: str


class FollowupMessages:
    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def _render(self, name: str, **context: object) -> SlackMessage:
        return build_message(self.templates.render(name, **context))

    def message(
        self, followup: Followup, today: date, *, drill_export: Export | None = None
    ) -> SlackMessage:
        """The follow-up as it stands; Done and Drop… while it is open. `drill_export`: the
        issue a drill's follow-up would have opened, said instead of opened."""
        shown = self._render(
            "followup.mrkdwn.j2",
            followup=followup,
            is_overdue=followup.is_overdue(today),
            drill_export=drill_export,
        )
        if not followup.is_open:
            return shown
        buttons: dict[str, Any] = {
            "type": "actions",
            "block_id": f"followup:{followup.id}",
            "elements": [
                _button(DONE, "Done", followup.id, style="primary"),
                _button(DROP, "Drop…", followup.id),
            ],
        }
        return SlackMessage(text=shown.text, recorded_blocks=[*shown.block_dicts(), buttons])

    def recorded(self, followup: Followup) -> SlackMessage:
        """To the person who recorded it, when its message is already in the channel."""
        return self._render("followup_recorded.mrkdwn.j2", followup=followup)

    def already_closed(self, followup: Followup) -> SlackMessage:
        """A click on a follow-up someone closed meanwhile: nothing changed."""
        return self._render("followup_closed.mrkdwn.j2", followup=followup)

    def drop_form(self, followup: Followup) -> View:
        return View(
            type="modal",
            callback_id=DROP_FORM,
            title="Drop follow-up",
            submit="Drop it",
            close="Keep it",
            private_metadata=json.dumps(
                {"followup": followup.id, "channel": followup.message_channel or ""}
            ),
            blocks=[
                InputBlock(
                    block_id=REASON,
                    label="Why is it dropped?",
                    element=PlainTextInputElement(
                        action_id=REASON,
                        multiline=True,
                        placeholder="Superseded by…, no longer needed because…",
                        max_length=MAX_DROP_REASON,
                    ),
                )
            ],
        )

    def listing(
        self,
        shown: Sequence[Listed],
        total: int,
        *,
        scope: Scope,
        person: str | None,
        today: date,
    ) -> SlackMessage:
        """`/incident followups`: each open follow-up, its incident's channel linked."""
        return self._render(
            "followup_list.mrkdwn.j2",
            items=shown,
            total=total,
            scope=scope.value,
            person=person,
            today=today,
        )

    def due(
        self, followup: Followup, incident: Incident, *, nudge: int, every: timedelta
    ) -> SlackMessage:
        """The owner's DM: the day it falls due (`nudge` 0), then one `every` while overdue."""
        return self._render(
            "followup_due.mrkdwn.j2", followup=followup, incident=incident, nudge=nudge, every=every
        )


def _button(action_id: str, label: str, followup_id: int, *, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": str(followup_id),
    }
    if style:
        button["style"] = style
    return button
