"""Slack events: every message and pin in an incident channel is stamped into its timeline.

Bolt answers 404 to an event no listener matches, and Slack counts that as a failed delivery
and retries it; so every subscribed event has a listener here, ignoring being an explicit
decision, and a last listener acknowledges whatever else Slack may send. A channel event is
stamped *before* the ack — one INSERT, shared with whatever arrives meanwhile, that also claims
its event id — so a database failure answers 500 and Slack's retry brings the message back.
"""

import re
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.slack_events import ChannelEvent, Ignored, read_message, read_pin
from bot.domain.text import clean_text
from bot.metrics import Metrics
from bot.services.timeline import TimelineService

log = structlog.get_logger(__name__)

ANY_OTHER_EVENT = re.compile(".*")


def register(app: AsyncApp, timeline: TimelineService, metrics: Metrics) -> None:
    async def on_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _stamp(timeline, metrics, body, read_message(body.get("event") or {}))
        await ack()

    async def on_pin(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _stamp(timeline, metrics, body, read_pin(body.get("event") or {}))
        await ack()

    async def ignore(ack: AsyncAck, body: dict[str, Any]) -> None:
        event_type = str((body.get("event") or {}).get("type"))
        metrics.events.labels(event_type, "ignored").inc()
        await ack()

    app.event("message")(on_message)
    app.event("pin_added")(on_pin)
    app.event(ANY_OTHER_EVENT)(ignore)


async def _stamp(
    timeline: TimelineService,
    metrics: Metrics,
    body: dict[str, Any],
    read: ChannelEvent | Ignored,
) -> None:
    event_type = str((body.get("event") or {}).get("type"))
    if isinstance(read, Ignored):
        log.debug("event_ignored", event_type=event_type, reason=read.reason)
        metrics.events.labels(event_type, "ignored").inc()
        return
    stamped = await timeline.stamp(_event_id(body), read)
    metrics.events.labels(event_type, stamped.value).inc()


def _event_id(body: dict[str, Any]) -> str | None:
    """Slack's id of the delivery, which its retries repeat; anything but text is no id."""
    event_id = body.get("event_id")
    return (clean_text(event_id) or None) if isinstance(event_id, str) else None
