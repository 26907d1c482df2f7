"""Slack events the app subscribes to.

Bolt answers 404 to an event no listener matches, and Slack counts that as a failed delivery
and retries it; so every subscribed event has a listener here, even where ignoring it is the
decision.
"""

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    async def acknowledge(ack: AsyncAck, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        services.metrics.events.labels(str(event.get("type")), "ignored").inc()
        await ack()

    for event_type in ("message", "pin_added", "member_joined_channel"):
        app.event(event_type)(acknowledge)
