"""A click or form the bot cannot read is refused one way, whatever it came from.

Slack gets its 200 (a refusal would only bring the same payload back), the reason is logged
as `interaction_malformed`, nothing changes, and the person who clicked is told through the
click's response_url; a form has none, so it just closes.
"""

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from structlog.testing import capture_logs

from bot.demo.sandbox import Sandbox
from bot.demo.standin import DeliveryResult
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import reply_to
from tests.integration.test_update_form import form, open_form
from tests.integration.timers import rows

UNREADABLE = "That click could not be read, so nothing was done."
NOTHING_CHANGED = """SELECT EXISTS (SELECT FROM incidents) OR EXISTS (SELECT FROM approval_requests)
    OR EXISTS (SELECT FROM timeline_entries) OR EXISTS (SELECT FROM jobs) AS changed"""


async def click_payload(bot: Sandbox, payload: dict[str, Any]) -> DeliveryResult:
    """Post a `block_actions` payload, signed, as Slack posts it."""
    return await bot.slack.bus.send(
        bot.sender.url,
        kind="block_actions",
        payload=payload,
        body=urlencode({"payload": json.dumps(payload)}).encode(),
        content_type="application/x-www-form-urlencoded",
    )


def clicked_by_bob(bot: Sandbox, action: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A click by bob in #incidents, shaped as `SlackSender.click` shapes one."""
    bob, incidents = bot.slack.resolve_user("bob"), bot.slack.channel("incidents")
    assert incidents is not None
    payload = {
        "type": "block_actions",
        "user": {"id": bob, "name": "bob"},
        "api_app_id": bot.slack.app_id,
        "team": {"id": bot.slack.team_id},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": incidents.id},
        "channel": {"id": incidents.id, "name": "incidents"},
        "trigger_id": bot.slack.new_trigger_id(),
        "response_url": bot.slack.new_response_url(incidents.id, bob),
        "actions": [{"type": "button", "block_id": "b", **action}],
    }
    return {**payload, **changes}


async def unreadable_count(bot: Sandbox) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        exposed = await response.text()
    line = 'incident_bot_interactions_total{interaction="unreadable",outcome="malformed"}'
    return next((ln.removeprefix(line).strip() for ln in exposed.splitlines() if line in ln), "")


@pytest.mark.parametrize(
    ("action", "changes", "reason"),
    [
        ({"action_id": "approval.approve", "value": "the-first-one"}, {}, "is not a number"),
        ({"action_id": "approval.deny"}, {}, "is not a number"),
        ({"action_id": "reminder.post_update"}, {"channel": None, "container": {}}, "channel"),
        ({"action_id": "reminder.snooze_15", "value": "15"}, {"trigger_id": None}, "trigger_id"),
        ({"action_id": "alert.declare", "value": "alert one"}, {}, "is not a number"),
        ({"action_id": "alert.request_action:kill", "value": "{kill"}, {}, "Invalid JSON"),
    ],
    ids=["approve", "deny", "post-update", "snooze", "declare", "request-action"],
)
async def test_an_unreadable_click_is_acknowledged_logged_and_answered(
    bot: Sandbox, db: Pool, action: dict[str, Any], changes: dict[str, Any], reason: str
) -> None:
    with capture_logs() as logs:
        result = await click_payload(bot, clicked_by_bob(bot, action, **changes))
        said = await reply_to(bot, "bob", "could not be read")
    assert result.status == 200
    assert said == f":warning: {UNREADABLE} " + (
        "Try again from a fresh message; if it keeps happening, tell whoever runs the bot."
    )
    (warning,) = [line for line in logs if line["event"] == "interaction_malformed"]
    assert reason in warning["reason"]
    assert await unreadable_count(bot) == "1.0"
    assert await rows(db, NOTHING_CHANGED) == [{"changed": False}]


async def test_an_unreadable_click_without_a_response_url_is_only_logged(bot: Sandbox) -> None:
    payload = clicked_by_bob(bot, {"action_id": "approval.approve", "value": "1"})
    del payload["response_url"]
    with capture_logs() as logs:
        result = await click_payload(bot, payload)
        await bot.services.background.idle()
    assert result.status == 200
    assert [line["reason"] for line in logs if line["event"] == "interaction_malformed"] == [
        "response_url: Field required"
    ]
    assert bot.slack.ephemerals("bob") == []


async def test_an_unreadable_form_closes_and_is_logged_posting_nothing(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    _, view_id = await open_form(bot, clock)
    shown = {**bot.slack.views[view_id], "private_metadata": "#incident-20261124-001"}
    with capture_logs() as logs:
        result = await bot.sender.submit_view("bob", shown, form("Rolled back"))
        await bot.services.background.idle()
    assert (result.status, result.json) == (200, None)
    (warning,) = [line for line in logs if line["event"] == "interaction_malformed"]
    assert "Invalid JSON" in warning["reason"]
    assert await rows(db, "SELECT 1 FROM timeline_entries WHERE kind = 'update'") == []
    assert bot.slack.ephemerals("bob") == []
    assert await unreadable_count(bot) == "1.0"
