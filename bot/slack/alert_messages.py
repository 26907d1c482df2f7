"""The messages alerts make: an incident's first message with the alert, the Declare offer, digests.

Words come from `templates/alert_*.mrkdwn.j2`; everything an alert carries is untrusted and
printed escaped. Buttons carry only ids and parameters, never text to be trusted on return.
"""

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock

from bot.domain.alert_routes import action_args
from bot.domain.alerts import Alert
from bot.domain.incident import Incident
from bot.slack.composer import Composer
from bot.slack.messages import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    SlackMessage,
    build_message,
    truncate,
)

DECLARE_ACTION = "alert.declare"
REQUEST_ACTION = "alert.request_action"
DIGEST_LINES = 20
"""A digest lists this many alerts and counts the rest: a storm stays one readable message."""
MAX_LABELS = 30
MAX_VALUE = 100
MAX_ANNOTATION = 1000
MAX_BUTTON_VALUE = 2000


class AlertMessages:
    def __init__(self, compose: Composer) -> None:
        self.compose = compose
        self.templates = compose.templates
        self.policy = compose.policy

    def _details(self, alert: Alert) -> dict[str, object]:
        labels = sorted(alert.labels.items())[:MAX_LABELS]
        return {
            "alert": alert,
            "summary": truncate(alert.summary or "", MAX_ANNOTATION),
            "description": truncate(alert.description or "", MAX_ANNOTATION),
            "labels": [(truncate(k, MAX_VALUE), truncate(v, MAX_VALUE)) for k, v in labels],
        }

    def initial(self, incident: Incident, alert: Alert, suggest: Sequence[str]) -> SlackMessage:
        """The incident's usual first message with the alert and a button per suggestion added
        before its closing context line."""
        first = self.compose.initial(incident)
        details = build_message(
            self.templates.render("alert_details.mrkdwn.j2", **self._details(alert))
        )
        buttons = [
            self._request_button(name, alert) for name in suggest if name in self.policy.actions
        ]
        added: list[Block] = [*details.blocks]
        if buttons:
            added.append(ActionsBlock(elements=buttons[:25]))
        body, closing = first.blocks, []
        if body and isinstance(body[-1], ContextBlock):
            body, closing = body[:-1], body[-1:]
        blocks = [*body, *added, *closing]
        text = truncate(f"{first.text}\n{details.text}", MAX_FALLBACK_TEXT)
        return SlackMessage(text=text, blocks=blocks if len(blocks) <= MAX_BLOCKS else first.blocks)

    def _request_button(self, name: str, alert: Alert) -> ButtonElement:
        params = [p.name for p in self.policy.actions[name].params]
        args = action_args(params, alert.labels)
        value = json.dumps({"action": name, "args": args})
        if len(value) > MAX_BUTTON_VALUE:
            value = json.dumps({"action": name, "args": {}})
        return ButtonElement(
            text=truncate(f"Request {name}", 75), action_id=f"{REQUEST_ACTION}:{name}", value=value
        )

    def offer(self, alert_id: int, alert: Alert) -> SlackMessage:
        """The announce-channel post for an alert no route declares, with its Declare button."""
        message = build_message(
            self.templates.render("alert_offer.mrkdwn.j2", **self._details(alert))
        )
        button = ButtonElement(
            text="Declare incident", action_id=DECLARE_ACTION, value=str(alert_id), style="primary"
        )
        return SlackMessage(
            text=message.text, blocks=[*message.blocks, ActionsBlock(elements=[button])]
        )

    def digest(self, alerts: Sequence[Alert], *, still_firing: int) -> SlackMessage:
        """One thread reply for a batch of alerts attached to an incident."""
        return build_message(
            self.templates.render(
                "alert_digest.mrkdwn.j2",
                count=len(alerts),
                shown=alerts[:DIGEST_LINES],
                more=max(0, len(alerts) - DIGEST_LINES),
                resolved=sum(1 for a in alerts if not a.is_firing),
                still_firing=still_firing,
            )
        )
