"""A PagerDuty Events API v2 stand-in: `POST /pagerduty/v2/enqueue`, with PagerDuty's shapes.

It takes what PagerDuty takes (`routing_key`, `event_action` trigger|acknowledge|resolve,
`dedup_key`, a trigger's `payload{summary, source, severity, …}`, `links`, `client`…) and answers
as PagerDuty does: 202 `{"status": "success", "message": "Event processed", "dedup_key": …}`,
or 400 `{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}`.
A 429 comes from `OtherApis.fail("pagerduty", 429, …)`.

It keeps the alerts the events opened, acknowledged and resolved, by routing key and dedup key,
as PagerDuty applies them: a trigger opens an alert or adds to the open one, an acknowledge or
resolve for no open alert is dropped. Tests and the demo read `alerts` and `events`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.demo.apis.server import OtherApis

SYSTEM = "pagerduty"
ACTIONS = frozenset({"trigger", "acknowledge", "resolve"})
SEVERITIES = frozenset({"critical", "error", "warning", "info"})
KEY_LENGTH = 32
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255


@dataclass
class Alert:
    """One alert as PagerDuty holds it: what opened it and what happened to it since."""

    routing_key: str = field(repr=False)
    dedup_key: str
    summary: str
    severity: str
    status: str = "triggered"
    """`triggered`, `acknowledged` or `resolved`."""
    triggers: list[dict[str, Any]] = field(default_factory=list)
    """Every trigger event applied to it, whole, in order."""


class PagerDutyStandIn:
    """The Events API's enqueue endpoint on `OtherApis` (`apis.url("pagerduty")/v2/enqueue`)."""

    def __init__(self, apis: OtherApis) -> None:
        self.routing_keys: set[str] = set()
        """Integration keys that exist; when empty, any well-formed key does."""
        self.alerts: list[Alert] = []
        self.events: list[dict[str, Any]] = []
        """Every event accepted (202), whole, in order."""
        apis.route(SYSTEM, "POST", "/v2/enqueue", self._enqueue)

    def alert(self, dedup_key: str, *, routing_key: str | None = None) -> Alert | None:
        """The latest alert with `dedup_key` (on `routing_key`, when given)."""
        found = [
            a
            for a in self.alerts
            if a.dedup_key == dedup_key and routing_key in (None, a.routing_key)
        ]
        return found[-1] if found else None

    def _open(self, routing_key: str, dedup_key: str) -> Alert | None:
        return next(
            (
                a
                for a in self.alerts
                if a.routing_key == routing_key
                and a.dedup_key == dedup_key
                and a.status != "resolved"
            ),
            None,
        )

    async def _enqueue(self, request: web.Request) -> web.Response:
        try:
            event = await request.json()
        except ValueError:
            return _invalid(["Event object is not valid JSON"])
        if not isinstance(event, dict):
            return _invalid(["Event object must be a JSON object"])
        errors = self._problems(event)
        if errors:
            return _invalid(errors)
        dedup_key = str(event.get("dedup_key") or uuid.uuid4().hex)
        self._apply(str(event["routing_key"]), dedup_key, event)
        self.events.append(event)
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": dedup_key},
            status=202,
        )

    def _apply(self, routing_key: str, dedup_key: str, event: dict[str, Any]) -> None:
        current = self._open(routing_key, dedup_key)
        action = event["event_action"]
        if action == "trigger":
            if current is None:
                payload = event["payload"]
                current = Alert(routing_key, dedup_key, payload["summary"], payload["severity"])
                self.alerts.append(current)
            current.triggers.append(event)
        elif current is not None:  # an acknowledge or resolve of no open alert is dropped
            current.status = "acknowledged" if action == "acknowledge" else "resolved"

    def _problems(self, event: dict[str, Any]) -> list[str]:
        """PagerDuty's own wording for what is wrong with an event."""
        errors = _key_problems(event.get("routing_key"), self.routing_keys)
        action = event.get("event_action")
        if action not in ACTIONS:
            errors.append(
                "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"
            )
        dedup_key = event.get("dedup_key")
        if dedup_key is not None and (
            not isinstance(dedup_key, str) or len(dedup_key) > MAX_DEDUP_KEY
        ):
            errors.append("'dedup_key' is invalid (must be a string of at most 255 characters)")
        if action in ("acknowledge", "resolve") and not dedup_key:
            errors.append("'dedup_key' is missing or blank")
        if action == "trigger":
            errors.extend(_payload_problems(event.get("payload")))
        return errors


def _key_problems(key: object, known: set[str]) -> list[str]:
    if not isinstance(key, str) or not key:
        return ["'routing_key' is missing or blank"]
    if len(key) != KEY_LENGTH:
        return ["Length of 'routing_key' is incorrect (should be 32 characters)"]
    if known and key not in known:
        return ["'routing_key' does not match an integration key"]
    return []


def _payload_problems(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or invalid"]
    errors = [
        f"'payload.{name}' is missing or blank"
        for name in ("summary", "source", "severity")
        if not isinstance(payload.get(name), str) or not payload[name].strip()
    ]
    if isinstance(payload.get("summary"), str) and len(payload["summary"]) > MAX_SUMMARY:
        errors.append("'payload.summary' is too long (at most 1024 characters)")
    if isinstance(payload.get("severity"), str) and payload["severity"] not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
        )
    return errors


def _invalid(errors: list[str]) -> web.Response:
    return web.json_response(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
        status=400,
    )
