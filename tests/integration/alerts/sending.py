"""Sending alerts to the bot as a monitoring system would, and a policy with alert routes."""

import io
import json
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.config import Policy
from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel, SlackStandIn

TOKEN = "alert-token-for-tests"
SETTINGS: dict[str, Any] = {"alert_webhook_token": SecretStr(TOKEN)}

POLICY = Policy.model_validate(
    {
        "actions": {
            "rollback": {
                "title": "Roll back a deployment",
                "kind": "http",
                "url": "https://deploy.example/services/{service}/rollback",
                "params": [
                    {"name": "service", "choices": ["api", "web", "worker"]},
                    {"name": "version", "required": False},
                ],
            }
        },
        "alerts": {
            "routes": [
                {"match": {"severity": "critical"}, "declare": "sev1", "suggest": ["rollback"]},
                {
                    "match": {"severity": "warning"},
                    "match_re": {"service": "pay.*"},
                    "declare": "p1",
                },
                {"match": {"severity": "warning"}, "declare": None},
            ]
        },
    }
)


def alertmanager(
    *alerts: dict[str, Any], group: str = '{}:{alertname="HighErrorRate"}', status: str = "firing"
) -> dict[str, Any]:
    """An Alertmanager webhook body (version 4) for `alerts`."""
    return {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "incident-bot",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def am_alert(
    fingerprint: str = "f00d",
    *,
    status: str = "firing",
    severity: str = "critical",
    summary: str = "Checkout error rate above 10%",
    labels: dict[str, str] | None = None,
    **fields: object,
) -> dict[str, Any]:
    """One alert of an Alertmanager body; `fields` replace its top-level fields."""
    return {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "severity": severity, **(labels or {})},
        "annotations": {
            "summary": summary,
            "description": "5xx ratio is 12% over 5 minutes",
            "runbook_url": "https://runbooks.example/000#critical-error-rate",
        },
        "startsAt": "2026-11-24T09:28:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=rate",
        "fingerprint": fingerprint,
        **fields,
    }


async def send(
    bot: Sandbox,
    source: str,
    body: object,
    *,
    token: str | None = TOKEN,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a webhook to the bot; returns the status and the JSON answer."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = io.BytesIO(raw if raw is not None else json.dumps(body).encode())
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot.url}/alerts/{source}", headers=headers, data=data) as answer,
    ):
        return answer.status, await answer.json()


def incident_channels(slack: SlackStandIn) -> list[Channel]:
    return [c for c in slack.channels.values() if c.name.startswith("incident-")]


async def incident_channel(
    bot: Sandbox,
    count: int = 1,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait, as in SlackStandIn.wait_for
) -> Channel:
    """Wait until `count` incident channels exist with their first message pinned; the last."""

    def ready(slack: SlackStandIn) -> bool:
        found = incident_channels(slack)
        return len(found) >= count and all(c.pins for c in found)

    await bot.slack.wait_for(ready, timeout)
    return incident_channels(bot.slack)[count - 1]


async def settled(bot: Sandbox) -> None:
    """Wait until clicks are handled and every effect due now is delivered (and followed up)."""
    await bot.services.background.idle()
    await bot.services.dispatcher.settle()
