"""What a person is told when their work fails after the ack, and what an operator can count.

A failure nobody foresaw is made real here by a database constraint the code does not expect;
a Slack refusal by the stand-in refusing a call after the change was recorded.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
import structlog

from bot.demo.sandbox import Sandbox, sandbox
from bot.logging import configure
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to, stamped
from tests.integration.test_update_form import form, open_form
from tests.integration.timers import reminders_in, run_due

APOLOGY = "Sorry — something went wrong on our side"


@asynccontextmanager
async def refusing_timeline_kind(db: Pool, kind: str) -> AsyncIterator[None]:
    """A CHECK constraint the bot does not know about: writing a `kind` entry fails for real."""
    async with db.acquire() as conn:
        await conn.execute(
            f"ALTER TABLE timeline_entries ADD CONSTRAINT test_no_{kind} CHECK (kind <> '{kind}')"
        )
    try:
        yield
    finally:
        async with db.acquire() as conn:
            await conn.execute(f"ALTER TABLE timeline_entries DROP CONSTRAINT test_no_{kind}")


async def metrics(bot: Sandbox) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        return await response.text()


def error_id_in(apology: str) -> str:
    found = re.search(r"error id `([0-9a-f]+)`", apology)
    assert found, apology
    return found.group(1)


def logged(err: str, event: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == event]


async def test_an_unexpected_failure_reaches_the_person_with_the_error_id_of_its_log_line(
    db: Pool, migrated: str, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json", "INFO")
    try:
        async with sandbox(database_url=migrated, clock=clock) as bot:
            channel = await bot.declare("sev2 Search is slow")
            async with refusing_timeline_kind(db, "note"):
                await bot.command("note looking at the shard map", channel=channel.id)
                apology = await reply_to(bot, "alice", APOLOGY)
                await bot.services.background.idle()
            exposed = await metrics(bot)
    finally:
        structlog.reset_defaults()

    error_id = error_id_in(apology)
    (line,) = logged(capsys.readouterr().err, "unexpected_error")
    assert line["error_id"] == error_id
    assert "CheckViolationError" in str(line["exception"])
    assert line["subcommand"] == "note"
    assert 'incident_bot_commands_total{outcome="error",subcommand="note"} 1.0' in exposed
    assert await stamped(db, "note") == []


async def test_an_unexpected_failure_after_a_form_is_submitted_is_apologised_for(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel, view_id = await open_form(bot, clock)
    await bot.sender.join("bob", channel.id)
    async with refusing_timeline_kind(db, "update"):
        result = await bot.sender.submit_view("bob", view_id, form("Rolled back"))
        assert result.status == 200
        apology = await reply_to(bot, "bob", APOLOGY)
        await bot.services.background.idle()
    assert error_id_in(apology)
    assert [e.channel for e in bot.slack.ephemerals("bob")] == [channel.id]
    assert 'interactions_total{interaction="update_form",outcome="error"} 1.0' in await metrics(bot)


async def test_a_slack_refusal_after_a_recorded_update_is_told_and_counted_apart(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    bot.slack.inject("chat.postMessage", "channel_not_found")
    await bot.command("update Restarted the shard", channel=channel.id)
    said = await reply_to(bot, "alice", "Could not post Update #1")
    await bot.services.dispatcher.settle()

    assert "Slack answered `channel_not_found`" in said
    assert [e["body"] for e in await stamped(db, "update")] == ["Restarted the shard"]
    exposed = await metrics(bot)
    assert 'incident_bot_commands_total{outcome="ok",subcommand="update"} 1.0' in exposed
    assert 'incident_bot_deliveries_total{method="post",outcome="given_up"} 1.0' in exposed


async def test_a_slack_refusal_after_a_snooze_is_reported_in_the_channel(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=15)
    await run_due(bot)
    ts = reminders_in(bot.slack, channel.id)[-1].ts
    bot.slack.inject("chat.postMessage", "msg_too_long", times=1)
    await bot.sender.click("bob", channel.id, ts, "reminder.snooze_15")
    await bot.services.background.idle()
    await bot.services.dispatcher.settle()

    report = await message_in(bot, channel.id, "Could not say the reminders are snoozed")
    assert "`msg_too_long`" in report
    assert len(await stamped(db, "reminder_snoozed")) == 1
    assert 'interactions_total{interaction="snooze",outcome="ok"} 1.0' in await metrics(bot)


async def test_a_note_slack_would_not_post_is_still_recorded(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    bot.slack.inject("chat.postMessage", "channel_not_found")
    await bot.command("note shard map attached", channel=channel.id)
    said = await reply_to(bot, "alice", "Could not post the note")
    assert "`channel_not_found`" in said
    assert [e["body"] for e in await stamped(db, "note")] == ["shard map attached"]
    await message_in(bot, channel.id, "Search is slow")
