"""Hostile input through Slack's door: nothing signed gets a 500, and nothing said is lost.

A NUL (which PostgreSQL cannot store) in a title is refused before anything is created; in
what people say (updates, notes, resolutions, the update form, channel messages) it is removed
and the rest kept. A signed body that can never be handled is acknowledged and logged, so Slack
stops retrying it; a body Slack never sends gets a 400 with the reason.
"""

import json
from urllib.parse import urlencode

import aiohttp
import pytest
from structlog.testing import capture_logs

from bot.demo.sandbox import Sandbox
from bot.demo.standin import DeliveryResult
from bot.demo.standin.events import sign
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to, stamped
from tests.integration.test_update_form import form, open_form
from tests.integration.timers import rows

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
NOTHING_CREATED = """SELECT EXISTS (SELECT FROM incidents) OR EXISTS (SELECT FROM outbox)
    OR EXISTS (SELECT FROM timeline_entries) OR EXISTS (SELECT FROM jobs) AS created"""


async def send_raw(bot: Sandbox, body: bytes, content_type: str) -> DeliveryResult:
    """`body` posted to the bot's request URL, signed as Slack signs it."""
    return await bot.slack.bus.send(
        bot.sender.url, kind="raw", payload={}, body=body, content_type=content_type
    )


def interaction(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


async def test_a_title_with_nul_is_refused_in_the_ack_and_nothing_is_created(
    bot: Sandbox, db: Pool
) -> None:
    channels_before = set(bot.slack.channels)
    ack = await bot.command("declare sev1 Checkout\x00 errors")
    await bot.services.dispatcher.settle()

    assert ack.status == 200
    said = await reply_to(bot, "alice", "control character")
    assert said.startswith(":warning: The title contains an invisible control character (U+0000)")
    assert "Usage: `/incident declare &lt;severity&gt; &lt;title…&gt;`" in said
    assert set(bot.slack.channels) == channels_before
    assert await rows(db, NOTHING_CREATED) == [{"created": False}]


@pytest.mark.parametrize(
    ("typed", "kind", "stored", "shown"),
    [
        ("update rolling\x00 back api", "update", "rolling back api", "rolling back api"),
        ("note bob\x00 pages payments", "note", "bob pages payments", "bob pages payments"),
        ("resolve rolled\x07 back\x00", "resolved", "rolled back", "*Resolution:* rolled back"),
    ],
    ids=["update", "note", "resolve"],
)
async def test_nul_in_what_people_write_is_removed_and_the_rest_kept(
    bot: Sandbox, db: Pool, typed: str, kind: str, stored: str, shown: str
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ack = await bot.command(typed, channel=channel.id)

    assert ack.status == 200
    assert shown in await message_in(bot, channel.id, shown)
    (entry,) = await stamped(db, kind)
    assert stored in entry["body"]
    assert "\x00" not in entry["body"]


async def test_nul_in_the_update_form_is_removed_and_the_update_posted(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel, view_id = await open_form(bot, clock)
    result = await bot.sender.submit_view(
        "bob", view_id, form("Rolled\x00 back", impact="12%\x00 fail", next_steps="Watch\x1b")
    )

    assert result.status == 200
    posted = await message_in(bot, channel.id, "Update #1 –")
    assert "*Actions taken:* Rolled back" in posted
    assert "*Impact:* 12% fail" in posted
    (entry,) = await rows(db, "SELECT body, data FROM timeline_entries WHERE kind = 'update'")
    assert (entry["body"], entry["data"]["impact"]) == ("Rolled back", "12% fail")


async def test_a_channel_message_with_nul_is_stamped_without_it(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    await bot.sender.post_message("bob", channel.id, "db\x00 primary is down 🔥")
    message = await bot.sender.post_message("bob", channel.id, "first")
    await bot.sender.edit_message("bob", channel.id, message.ts, "first\x00, edited")

    said = await stamped(db, "message", "message_edited")
    assert [(e["kind"], e["body"]) for e in said] == [
        ("message", "db primary is down 🔥"),
        ("message", "first"),
        ("message_edited", "first, edited"),
    ]


async def test_a_command_whose_text_says_payload_is_run(bot: Sandbox, db: Pool) -> None:
    """Bolt alone reads any form containing the word "payload" as an interaction, and loses it."""
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("note the payload was truncated", channel=channel.id)

    await message_in(bot, channel.id, "the payload was truncated")
    assert [e["body"] for e in await stamped(db, "note")] == ["the payload was truncated"]


async def test_a_slash_command_without_its_fields_is_acked_and_logged(
    bot: Sandbox, db: Pool
) -> None:
    body = urlencode({"command": "/incident", "text": "declare sev1 Checkout errors"}).encode()
    with capture_logs() as logs:
        result = await send_raw(bot, body, FORM)

    assert result.status == 200
    assert result.json is not None
    assert "That command could not be read, so nothing was done" in result.json["text"]
    (warning,) = [line for line in logs if line["event"] == "command_malformed"]
    assert "user_id" in warning["reason"]
    assert await rows(db, NOTHING_CREATED) == [{"created": False}]


NOT_SLACKS: list[tuple[str, bytes, str, str]] = [
    (
        "not-json",
        b'{"type": "event_callback",',
        JSON,
        "the body is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 27 (char 26))",
    ),
    ("json-array", b'[{"type": "event_callback"}]', JSON, "the body is JSON but not an object"),
    ("deep-json", b"[" * 100_000 + b"]" * 100_000, JSON, "the body nests too deeply to read"),
    ("not-utf8", b"command=%2Fincident&text=\xff\xfe", FORM, "the body is not UTF-8"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [case[1:] for case in NOT_SLACKS],
    ids=[case[0] for case in NOT_SLACKS],
)
async def test_a_body_slack_never_sends_is_refused_with_the_reason(
    bot: Sandbox, body: bytes, content_type: str, reason: str
) -> None:
    with capture_logs() as logs:
        result = await send_raw(bot, body, content_type)

    assert (result.status, result.json) == (400, {"error": reason})
    assert [line["reason"] for line in logs if line["event"] == "slack_request_refused"] == [reason]


def event_callback(event: object, event_id: object = "Ev1") -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id, "event": event}).encode()


ODD_CHANNEL = {"type": "message", "channel": 42, "user": "U1", "ts": "1.1", "text": "hi"}
DEEP = "[" * 100_000 + "]" * 100_000
CANNOT_HANDLE: list[tuple[str, bytes, str, str]] = [
    ("payload-not-json", urlencode({"payload": "{oops"}).encode(), FORM, "not JSON"),
    ("payload-array", interaction([1, 2]), FORM, "the payload is JSON but not an object"),
    ("payload-deep", urlencode({"payload": DEEP}).encode(), FORM, "nests too deeply"),
    ("unknown-interaction", interaction({"type": "shortcut"}), FORM, "'shortcut'"),
    ("click-without-actions", interaction({"type": "block_actions"}), FORM, "no listener"),
    ("event-not-object", event_callback("message"), JSON, "event is not an object"),
    ("event-without-type", event_callback({"text": "hi"}), JSON, "with a type"),
    ("event-odd-channel", event_callback(ODD_CHANNEL), JSON, "Bolt cannot read it"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [case[1:] for case in CANNOT_HANDLE],
    ids=[case[0] for case in CANNOT_HANDLE],
)
async def test_a_signed_payload_that_can_never_be_handled_is_acked_and_logged(
    bot: Sandbox, db: Pool, body: bytes, content_type: str, reason: str
) -> None:
    with capture_logs() as logs:
        result = await send_raw(bot, body, content_type)

    assert result.status == 200
    (warning,) = [line for line in logs if line["event"] == "slack_request_unreadable"]
    assert reason in warning["reason"]
    assert await rows(db, NOTHING_CREATED) == [{"created": False}]


async def test_a_message_with_an_odd_event_id_is_still_stamped(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    for n, event_id in enumerate((12, "Ev\x00A")):
        said = {"type": "message", "channel": channel.id, "user": bob, "text": f"seen {n}"}
        event = {**said, "ts": f"1764063000.00020{n}"}
        result = await send_raw(bot, event_callback(event, event_id), JSON)
        assert result.status == 200
    assert [e["body"] for e in await stamped(db, "message")] == ["seen 0", "seen 1"]


@pytest.mark.parametrize(
    ("body", "timestamp"),
    [(b"[not json", None), (b"{}", "yesterday")],
    ids=["malformed", "timestamp-not-a-number"],
)
async def test_an_unsigned_body_is_refused_before_it_is_read(
    bot: Sandbox, body: bytes, timestamp: str | None
) -> None:
    headers = {"Content-Type": JSON, **sign("not-the-secret", body)}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    async with (
        aiohttp.ClientSession() as http,
        http.post(bot.sender.url, data=body, headers=headers) as answer,
    ):
        assert (answer.status, await answer.json()) == (401, {"error": "invalid request"})
