"""PagerDuty's Events API v2: trigger and resolve events, as outbox effects.

An effect holds the event without its routing key: only the NAME of the variable holding the
key (`routing_key_env`) is written in the outbox row; the key is looked up when the event is
sent, and never appears in a row, a log line or an error people read. Every event of one
incident shares a lane (its dedup key), so a trigger is sent before the resolve that follows it.

A page on declare is recorded before Slack has made the incident's channel, so it holds no link
to it: its deliverer asks for the channel (`Channels`) as it sends, and adds the link if Slack
has made it by then; if not, the page goes without one (custom_details still names the channel).

Nothing needs looking up before an event is sent again (`Effect.maybe_done`): PagerDuty adds a
repeated trigger to the open alert of its dedup key, and drops a resolve of no open alert.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.domain import paging as rules
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.integrations.http_api import Deliverers, HttpApi, Secret

SYSTEM = "PagerDuty"
TRIGGER = "pagerduty.trigger"
RESOLVE = "pagerduty.resolve"

Channels = Callable[[int], Awaitable[tuple[str, str] | None]]
"""An incident's channel (id, name), None while Slack has not made it."""


def lane(dedup_key: str) -> str:
    return f"pagerduty:{dedup_key}"


def trigger(
    *,
    events_url: str,
    routing_key_env: str,
    service: str,
    event: dict[str, Any],
    incident_id: int,
    then_do: str,
) -> NewEffect:
    """Page `service` with `event` (a `bot.domain.paging.Page.event`)."""
    return NewEffect(
        TRIGGER,
        {
            "events_url": events_url,
            "routing_key_env": routing_key_env,
            "service": service,
            "event": event,
        },
        lane=lane(str(event["dedup_key"])),
        about=f"page {service} via PagerDuty",
        incident_id=incident_id,
        then_do=then_do,
    )


def resolve(
    *,
    events_url: str,
    routing_key_env: str,
    service: str,
    dedup_key: str,
    incident_id: int,
    then_do: str,
) -> NewEffect:
    """Resolve the alert `dedup_key` opened on `service` (through the same routing key)."""
    return NewEffect(
        RESOLVE,
        {
            "events_url": events_url,
            "routing_key_env": routing_key_env,
            "service": service,
            "event": {"dedup_key": dedup_key},
        },
        lane=lane(dedup_key),
        about=f"resolve the page of {service} in PagerDuty",
        incident_id=incident_id,
        then_do=then_do,
    )


class PagerDuty:
    """Sends the recorded events, with the routing keys looked up by name as they go out."""

    def __init__(self, session: aiohttp.ClientSession, secret: Secret, channels: Channels) -> None:
        self.api = HttpApi(session, SYSTEM)
        self.secret = secret
        self.channels = channels

    def deliverers(self) -> Deliverers:
        return {TRIGGER: self.send_trigger, RESOLVE: self.send_resolve}

    async def send_trigger(self, effect: Effect) -> dict[str, Any]:
        event = effect.args["event"]
        if "links" not in event and effect.incident_id is not None:
            channel = await self.channels(effect.incident_id)
            if channel is not None:
                event = rules.linked(event, *channel)
        return await self._send(effect, "trigger", event)

    async def send_resolve(self, effect: Effect) -> dict[str, Any]:
        return await self._send(effect, "resolve", effect.args["event"])

    async def _send(self, effect: Effect, action: str, fields: dict[str, Any]) -> dict[str, Any]:
        env = str(effect.args["routing_key_env"])
        secret = self.secret(env)
        if secret is None:
            raise DeliveryError(
                effect.method, "not_configured", detail=f"{env} is not set", system=SYSTEM
            )
        key = secret.get_secret_value()
        event = {"routing_key": key, "event_action": action, **fields}
        try:
            answer = await self.api.send(
                "POST", str(effect.args["events_url"]), effect=effect.method, json=event
            )
        except DeliveryError as error:
            if error.detail and key in error.detail:  # never echo the key to people
                error.detail = error.detail.replace(key, "••••")
            raise
        body = answer.body if isinstance(answer.body, dict) else {}
        return {
            "status": answer.status,
            "dedup_key": body.get("dedup_key", effect.args["event"]["dedup_key"]),
            "message": body.get("message"),
        }
