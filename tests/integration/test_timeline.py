"""Every message in an incident channel is stamped, through Slack's signed event callbacks."""

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from bot.demo.sandbox import Sandbox
from bot.demo.standin import BOT_USER_ID, Channel, ops
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import as_slack_does, message_in, stamped


async def incident_with_bob(bot: Sandbox) -> Channel:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    return channel


def said_by(bot: Sandbox, user: str, channel: Channel, text: str, **fields: object) -> dict:
    """A message event as Slack sends it, for tests that deliver one by hand."""
    return {
        "type": "message",
        "channel": channel.id,
        "channel_type": "channel",
        "user": bot.slack.resolve_user(user),
        "text": text,
        "ts": bot.slack.next_ts(),
        **fields,
    }


async def test_every_message_is_stamped_with_its_time_author_and_text(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await incident_with_bob(bot)
    said = []
    for person, text in (("alice", "Error rate jumped"), ("bob", "NPEs since the deploy")):
        clock.advance(minutes=1)
        said.append(await bot.sender.post_message(person, channel.id, text))

    rows = await stamped(db, "message")
    assert [(r["actor"], r["body"], r["slack_ts"]) for r in rows] == [
        (bot.slack.resolve_user("alice"), "Error rate jumped", said[0].ts),
        (bot.slack.resolve_user("bob"), "NPEs since the deploy", said[1].ts),
    ]
    assert rows[0]["at"] == datetime(2026, 11, 24, 9, 31, tzinfo=UTC)


async def test_messages_delivered_out_of_order_are_stamped_in_the_order_they_were_said(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await incident_with_bob(bot)
    first = said_by(bot, "alice", channel, "first")
    clock.advance(seconds=5)
    second = said_by(bot, "bob", channel, "second")
    await bot.sender.event(second)
    await bot.sender.event(first)
    assert [r["body"] for r in await stamped(db, "message")] == ["first", "second"]


async def test_thread_replies_are_stamped_with_their_thread(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    parent = await bot.sender.post_message("alice", channel.id, "Who deployed v2.3.1?")
    await bot.sender.post_message("bob", channel.id, "I did, at 09:12", thread_ts=parent.ts)

    reply = (await stamped(db, "message"))[-1]
    assert (reply["body"], reply["data"]["thread_ts"]) == ("I did, at 09:12", parent.ts)


async def test_an_edit_is_a_new_entry_pointing_at_the_original(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    message = await bot.sender.post_message("bob", channel.id, "rollback to v2.3.0 done")
    await bot.sender.edit_message("bob", channel.id, message.ts, "rollback to v2.2.9 done")

    rows = await stamped(db, "message", "message_edited")
    assert [(r["kind"], r["body"], r["slack_ts"]) for r in rows] == [
        ("message", "rollback to v2.3.0 done", message.ts),
        ("message_edited", "rollback to v2.2.9 done", message.ts),
    ]


async def test_a_deletion_is_kept_for_audit_as_an_entry_of_its_own(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    message = await bot.sender.post_message("bob", channel.id, "db password is hunter2")
    await bot.sender.delete_message("bob", channel.id, message.ts)

    rows = await stamped(db, "message", "message_deleted")
    assert [(r["kind"], r["actor"], r["body"], r["slack_ts"]) for r in rows] == [
        ("message", bot.slack.resolve_user("bob"), "db password is hunter2", message.ts),
        ("message_deleted", bot.slack.resolve_user("bob"), "db password is hunter2", message.ts),
    ]


async def test_entries_cannot_be_changed_in_place(bot: Sandbox, db: Pool) -> None:
    await bot.declare("sev2 Search is slow")
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE timeline_entries SET body = 'rewritten'")


async def test_files_shared_are_recorded_by_name_and_link(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    graph = {
        "id": "F0GRAPH",
        "name": "error-rate.png",
        "permalink": "https://standin.slack.com/files/U0BOB/F0GRAPH/error-rate.png",
    }
    bob = bot.slack.resolve_user("bob")
    where = bot.slack.channels[channel.id]
    await as_slack_does(
        bot,
        lambda: ops.post(
            bot.slack, where, user=bob, text="the graph", subtype="file_share", files=[graph]
        ),
    )
    row = (await stamped(db, "message"))[-1]
    assert row["body"] == "the graph"
    assert row["data"]["files"] == [{"name": "error-rate.png", "link": graph["permalink"]}]


async def test_a_pinned_message_is_stamped_as_a_key_event(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    message = await bot.sender.post_message("bob", channel.id, "Cause: token refresh dropped")
    alice = bot.slack.resolve_user("alice")
    where = bot.slack.channels[channel.id]
    await as_slack_does(bot, lambda: ops.pin(bot.slack, where, message, by=alice))

    pins = await stamped(db, "pinned")
    assert [(p["actor"], p["body"], p["slack_ts"]) for p in pins] == [
        (alice, "Cause: token refresh dropped", message.ts)
    ]
    assert pins[0]["data"]["author"] == bot.slack.resolve_user("bob")


async def test_a_retried_delivery_changes_nothing(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    event = said_by(bot, "bob", channel, "are we rolling back?")
    first = await bot.sender.event(event)
    retry = await bot.sender.event(event, event_id=first.event_id, retry_num=1)
    assert (first.status, retry.status) == (200, 200)
    assert [r["body"] for r in await stamped(db, "message")] == ["are we rolling back?"]


async def test_a_retry_arriving_while_the_first_delivery_runs_changes_nothing(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_with_bob(bot)
    event = said_by(bot, "bob", channel, "slow database day")
    deliveries = await asyncio.gather(
        bot.sender.event(event, event_id="Ev0SAME"),
        *(bot.sender.event(event, event_id="Ev0SAME", retry_num=n) for n in (1, 2, 3)),
    )
    assert {d.status for d in deliveries} == {200}
    assert [r["body"] for r in await stamped(db, "message")] == ["slow database day"]


async def test_many_people_talking_at_once_are_all_stamped_in_order(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await incident_with_bob(bot)
    events = []
    for n in range(60):
        clock.advance(seconds=1)
        events.append(said_by(bot, ("alice", "bob")[n % 2], channel, f"message {n}"))
    deliveries = await asyncio.gather(*(bot.sender.event(e) for e in reversed(events)))
    assert {d.status for d in deliveries} == {200}
    assert [r["body"] for r in await stamped(db, "message")] == [f"message {n}" for n in range(60)]


async def test_one_message_delivered_under_two_event_ids_is_stamped_once(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_with_bob(bot)
    event = said_by(bot, "bob", channel, "delivered twice")
    assert (await bot.sender.event(event)).ok
    assert (await bot.sender.event(event)).ok
    assert len(await stamped(db, "message")) == 1


async def test_a_message_the_database_refused_comes_back_with_slacks_retry(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_with_bob(bot)
    event = said_by(bot, "bob", channel, "never lost")
    async with db.acquire() as conn:
        await conn.execute("ALTER TABLE timeline_entries RENAME TO timeline_entries_away")
    try:
        refused = await bot.sender.event(event)
    finally:
        async with db.acquire() as conn:
            await conn.execute("ALTER TABLE timeline_entries_away RENAME TO timeline_entries")
    retry = await bot.sender.event(event, event_id=refused.event_id, retry_num=1)
    assert (refused.status, retry.status) == (500, 200)
    assert [r["body"] for r in await stamped(db, "message")] == ["never lost"]


async def test_the_bots_own_messages_are_acknowledged_and_not_stamped_again(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("update identified: hot shard", channel=channel.id)
    await message_in(bot, channel.id, "Update #1")
    await bot.slack.drain()

    events = [
        d.payload["event"] | {"status": d.status}
        for d in bot.slack.deliveries
        if "event" in d.payload
    ]
    echoes = [e for e in events if e.get("user") == BOT_USER_ID]
    assert {e.get("subtype") for e in echoes} >= {
        None,
        "channel_join",
        "channel_topic",
        "pinned_item",
    }
    assert {e["status"] for e in echoes} == {200}
    assert [r["kind"] for r in await stamped(db)] == ["declared", "update"]


async def test_system_messages_and_other_apps_are_acknowledged_and_not_stamped(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_with_bob(bot)
    where = bot.slack.channels[channel.id]
    bob = bot.slack.resolve_user("bob")
    await as_slack_does(bot, lambda: ops.set_topic(bot.slack, where, "db", by=bob, purpose=False))
    other_app = {"subtype": "bot_message", "bot_id": "B0GRAFANA", "username": "grafana"}
    result = await bot.sender.event(said_by(bot, "bob", channel, "Alert firing", **other_app))
    assert result.status == 200
    await bot.slack.drain()
    assert {d.status for d in bot.slack.deliveries} == {200}
    assert await stamped(db, "message") == []


async def test_an_unknown_subtype_from_a_person_is_kept_and_any_other_ignored(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_with_bob(bot)
    person = said_by(bot, "bob", channel, "said in a new way", subtype="brand_new_subtype")
    notice = {**said_by(bot, "bob", channel, ""), "subtype": "channel_mystery", "user": None}
    assert (await bot.sender.event(person)).status == 200
    assert (await bot.sender.event(notice)).status == 200
    rows = await stamped(db, "message")
    assert [(r["body"], r["data"]["subtype"]) for r in rows] == [
        ("said in a new way", "brand_new_subtype")
    ]


async def test_a_message_of_40000_characters_is_stamped_whole(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    text = "stack trace line\n" * 2353
    await bot.sender.post_message("bob", channel.id, text[:40_000])
    assert len((await stamped(db, "message"))[0]["body"]) == 40_000


async def test_messages_outside_incident_channels_are_acknowledged_not_stamped(
    bot: Sandbox, db: Pool
) -> None:
    await bot.declare("sev2 Search is slow")
    await bot.sender.post_message("alice", "incidents", "lunch?")
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM timeline_entries") == 1
        claims = "SELECT count(*) FROM handled_keys WHERE key LIKE 'event:%'"
        assert await conn.fetchval(claims) == 0


async def test_a_badly_signed_event_is_refused_and_not_stamped(bot: Sandbox, db: Pool) -> None:
    channel = await incident_with_bob(bot)
    forged = await bot.sender.event(said_by(bot, "bob", channel, "forged"), bad_signature=True)
    assert forged.status == 401
    assert await stamped(db, "message") == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "reaction_added", "user": "U0BOB", "reaction": "eyes", "item": {}},
        {"type": "app_mention", "user": "U0BOB", "text": "hi", "channel": "C0", "ts": "1.2"},
        {"type": "message", "channel": "C0", "text": "no ts, no user"},
        {"type": "pin_added", "channel_id": "C0", "user": "U0BOB", "item": {"type": "file"}},
    ],
)
async def test_every_other_or_malformed_event_is_acknowledged(bot: Sandbox, event: dict) -> None:
    result = await bot.sender.event(event)
    assert result.status == 200
