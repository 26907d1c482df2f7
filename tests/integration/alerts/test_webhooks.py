"""The three alert routes: what each accepts, what it refuses, and what an accepted alert becomes."""

import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.alerts.sending import (
    TOKEN,
    alertmanager,
    am_alert,
    incident_channel,
    incident_channels,
    send,
    settled,
)
from tests.integration.helpers import message_in

SOURCES = ("alertmanager", "grafana", "generic")


async def stored_alerts(db: Pool) -> int:
    async with db.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM alerts"))


async def test_an_alertmanager_alert_is_stored_before_the_answer_and_declares(
    bot: Sandbox, db: Pool
) -> None:
    status, answer = await send(bot, "alertmanager", alertmanager(am_alert()))

    assert (status, answer) == (202, {"stored": 1})
    assert await stored_alerts(db) == 1
    channel = await incident_channel(bot)
    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    for expected in (
        "INCIDENT: [SEV-1 Critical]* Checkout error rate above 10%",
        "Incident commander: _unassigned_",
        "*Alert from Alertmanager* · since 2026-11-24 09:28 UTC",
        "*Summary:* Checkout error rate above 10%",
        "*Description:* 5xx ratio is 12% over 5 minutes",
        "*Runbook:* https://runbooks.example/000#critical-error-rate",
        "*Source:* http://prometheus.example/graph?g0.expr=rate",
    ):
        assert expected in pinned.text
    assert pinned.blocks[0]["text"]["text"] == "Checkout error rate above 10%"
    announced = await message_in(bot, "incidents", "SEV-1 Critical")
    assert f"Declared by an alert at 2026-11-24 09:30 UTC. Join <#{channel.id}>" in announced
    assert channel.members == {bot.slack.resolve_user("incident-bot")}


async def test_an_alert_declaration_is_recorded_with_nobody_behind_it(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert()))
    await incident_channel(bot)
    await settled(bot)
    async with db.acquire() as conn:
        incident = await conn.fetchrow("SELECT declared_by, commander, severity FROM incidents")
        entries = await conn.fetch("SELECT kind, actor, data FROM timeline_entries ORDER BY id")
        alert = await conn.fetchrow("SELECT incident_id, posted_at FROM alerts")
    assert tuple(incident) == (None, None, "sev1")
    assert [(e["kind"], e["actor"]) for e in entries] == [
        ("declared", None),
        ("alert_attached", None),
    ]
    assert entries[1]["data"]["alert_ids"] == [1]
    assert alert["incident_id"] == 1
    assert alert["posted_at"] is not None


async def test_a_grafana_alert_declares(bot: Sandbox) -> None:
    body = {
        **alertmanager(am_alert(generatorURL="https://grafana.example/alerting/1/edit")),
        "version": "1",
        "orgId": 1,
        "title": "[FIRING:1] HighErrorRate",
        "state": "alerting",
    }
    status, _ = await send(bot, "grafana", body)
    assert status == 202
    channel = await incident_channel(bot)
    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    assert "*Alert from Grafana*" in pinned.text
    assert "*Source:* https://grafana.example/alerting/1/edit" in pinned.text


async def test_a_generic_alert_declares(bot: Sandbox) -> None:
    status, answer = await send(
        bot,
        "generic",
        {
            "title": "Payments failing",
            "severity": "critical",
            "fingerprint": "payments-5xx",
            "labels": {"service": "api"},
            "annotations": {"description": "card declines at 40%"},
            "link": "https://grafana.example/d/payments",
        },
    )
    assert (status, answer) == (202, {"stored": 1})
    channel = await incident_channel(bot)
    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    assert "INCIDENT: [SEV-1 Critical]* Payments failing" in pinned.text
    assert "*Source:* https://grafana.example/d/payments" in pinned.text


@pytest.mark.parametrize("source", SOURCES)
async def test_a_wrong_token_is_refused_nothing_stored_and_no_token_logged(
    bot: Sandbox, db: Pool, source: str
) -> None:
    with capture_logs() as logs:
        status, answer = await send(bot, source, {"title": "x"}, token=TOKEN + "x")
    assert status == 401
    assert "Bearer" in answer["error"]
    assert await stored_alerts(db) == 0
    assert TOKEN not in json.dumps(logs, default=str)


async def test_a_request_without_a_bearer_token_is_refused(bot: Sandbox, db: Pool) -> None:
    assert (await send(bot, "generic", {"title": "x"}, token=None))[0] == 401
    assert (await send(bot, "generic", {"title": "x"}, token=""))[0] == 401
    assert await stored_alerts(db) == 0


async def test_with_no_token_configured_every_alert_is_refused_and_logged(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    async with sandbox(database_url=migrated, clock=clock) as bot:
        with capture_logs() as logs:
            status, _ = await send(bot, "generic", {"title": "x"}, token="anything")
    assert status == 401
    assert any("ALERT_WEBHOOK_TOKEN is not set" in str(line.get("reason")) for line in logs)
    assert await stored_alerts(db) == 0


@pytest.mark.parametrize(
    ("source", "body", "field"),
    [
        ("alertmanager", alertmanager({**am_alert(), "labels": ["severity"]}), "alerts.0.labels"),
        ("grafana", {"alerts": [{"status": "firing"}]}, "alerts.0.labels"),
        ("generic", {"severity": "critical"}, "title"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_refused_naming_the_field(
    bot: Sandbox, db: Pool, source: str, body: dict[str, Any], field: str
) -> None:
    status, answer = await send(bot, source, body)
    assert status == 400
    assert answer["field"] == field
    assert answer["error"].startswith(f"{field}: ")
    assert await stored_alerts(db) == 0


async def test_malformed_json_is_refused(bot: Sandbox, db: Pool) -> None:
    status, answer = await send(bot, "alertmanager", None, raw=b'{"version": "4",')
    assert status == 400
    assert "not valid JSON" in answer["error"]
    assert await stored_alerts(db) == 0


async def test_a_body_over_one_mib_is_refused(bot: Sandbox, db: Pool) -> None:
    huge = {"title": "x", "annotations": {"description": "y" * (1024 * 1024)}}
    status, answer = await send(bot, "generic", huge)
    assert status == 413
    assert "1048576 bytes" in answer["error"]
    assert await stored_alerts(db) == 0
    assert incident_channels(bot.slack) == []


async def test_a_step_slack_refuses_on_an_alert_declaration_is_reported_in_its_channel(
    bot: Sandbox,
) -> None:
    """Nobody declared it, so nobody is answered: the outbox reports the step in the channel."""
    bot.slack.inject("conversations.setTopic", "too_long")
    await send(bot, "alertmanager", alertmanager(am_alert()))
    channel = await incident_channel(bot)
    report = await message_in(bot, channel.id, "Could not set the topic")
    assert "`too_long`" in report
    assert channel.pins
