"""Hostile alert webhooks: every malformed body gets a 4xx with a reason, never a 500.

Alongside `test_webhooks.py` (wrong shapes, invalid JSON, a declared size over 1 MiB): bodies
that are not objects, wrong types, JSON nested past any sender's depth (Python's own parser
gives up with a RecursionError around 1,000 levels), a body streamed past 1 MiB without saying
its size, and control characters, which are removed so the alert is stored and shown.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.alerts.sending import (
    TOKEN,
    alertmanager,
    am_alert,
    incident_channel,
    send,
)
from tests.integration.helpers import message_in
from tests.integration.timers import rows

SOURCES = ("alertmanager", "grafana", "generic")


async def stored_alerts(db: Pool) -> int:
    return len(await rows(db, "SELECT id FROM alerts"))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("raw", [b"[]", b'"firing"', b"42", b"null"], ids=str)
async def test_a_body_that_is_not_an_object_is_refused(
    bot: Sandbox, db: Pool, source: str, raw: bytes
) -> None:
    status, answer = await send(bot, source, None, raw=raw)
    assert (status, answer["field"]) == (400, "(body)")
    assert "valid dictionary" in answer["error"]
    assert await stored_alerts(db) == 0


@pytest.mark.parametrize(
    ("source", "body", "field"),
    [
        (
            "alertmanager",
            alertmanager(am_alert(labels=None) | {"labels": ["a"]}),
            "alerts.0.labels",
        ),
        ("alertmanager", alertmanager(am_alert(status="burning")), "alerts.0.status"),
        ("grafana", {"alerts": {"0": am_alert()}}, "alerts"),
        ("grafana", {"alerts": [am_alert(startsAt="yesterday")]}, "alerts.0.startsAt"),
        ("generic", {"title": ["Disk", "full"]}, "title"),
        ("generic", {"title": "Disk full", "annotations": {"summary": 3}}, "annotations.summary"),
    ],
    ids=["labels-list", "status-unknown", "alerts-object", "time-words", "title-list", "number"],
)
async def test_a_field_of_the_wrong_type_is_refused_naming_it(
    bot: Sandbox, db: Pool, source: str, body: dict[str, Any], field: str
) -> None:
    status, answer = await send(bot, source, body)
    assert (status, answer["field"]) == (400, field)
    assert await stored_alerts(db) == 0


@pytest.mark.parametrize("depth", [100, 10_000], ids=["hundred", "ten-thousand"])
@pytest.mark.parametrize("source", SOURCES)
async def test_deeply_nested_json_is_refused(
    bot: Sandbox, db: Pool, source: str, depth: int
) -> None:
    raw = b'{"title": "x", "alerts": [{"labels": ' + b"[" * depth + b"]" * depth + b"}]}"
    status, answer = await send(bot, source, None, raw=raw)
    assert status == 400
    assert answer["error"] == "the body nests deeper than any alert payload does"
    assert await stored_alerts(db) == 0


async def test_a_body_streamed_past_one_mib_is_refused(bot: Sandbox, db: Pool) -> None:
    """No Content-Length: the limit holds while reading."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "x", "annotations": {"description": "'
        for _ in range(17):
            yield b"y" * 65_536
        yield b'"}}'

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot.url}/alerts/generic", data=chunks(), headers=headers) as answer,
    ):
        assert answer.status == 413
        assert "1048576 bytes" in (await answer.json())["error"]
    assert await stored_alerts(db) == 0


async def test_control_characters_in_an_alert_are_removed_and_it_declares(
    bot: Sandbox, db: Pool
) -> None:
    alert = am_alert(
        summary="Checkout\x00 error rate above 10%",
        labels={"service\x00": "api\x07", "team": "pay\ud800ments"},
        fingerprint="f00d\x00",
    )
    alert["annotations"]["description"] = "5xx ratio\r\nis 12%\x00"
    status, answer = await send(bot, "alertmanager", alertmanager(alert))

    assert (status, answer) == (202, {"stored": 1})
    (stored,) = await rows(db, "SELECT title, fingerprint, labels, annotations FROM alerts")
    assert (stored["title"], stored["fingerprint"]) == ("Checkout error rate above 10%", "f00d")
    labels = json.loads(stored["labels"]) if isinstance(stored["labels"], str) else stored["labels"]
    assert {k: labels[k] for k in ("service", "team")} == {"service": "api", "team": "payments"}
    channel = await incident_channel(bot)
    first = await message_in(bot, channel.id, "Checkout error rate above 10%")
    assert "\x00" not in first
    assert await rows(db, "SELECT title FROM incidents") == [
        {"title": "Checkout error rate above 10%"}
    ]
