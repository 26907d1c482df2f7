"""While an incident is open its alerts attach to it; storms make digests, never duplicates."""

import asyncio
import json

from bot.demo.sandbox import Sandbox
from bot.demo.standin import SlackStandIn
from bot.domain.alerts import parse_alerts
from bot.store import alert_groups, incidents
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.alerts.sending import (
    alertmanager,
    am_alert,
    incident_channel,
    incident_channels,
    send,
    settled,
)
from tests.integration.helpers import deliver_retries, message_in


def thread_replies(bot: Sandbox, channel_id: str) -> list[str]:
    channel = bot.slack.channel(channel_id)
    assert channel is not None
    return [m.text for m in bot.slack.replies(channel.id, channel.pins[0])]


async def counts(db: Pool) -> tuple[int, int, int]:
    """(incidents, alerts stored, alerts attached and posted)."""
    async with db.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM incidents),
                      (SELECT count(*) FROM alerts),
                      (SELECT count(*) FROM alerts
                       WHERE incident_id IS NOT NULL AND posted_at IS NOT NULL)"""
        )
    return (row[0], row[1], row[2])


async def test_alerts_of_the_same_group_attach_as_one_thread_reply(bot: Sandbox, db: Pool) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    channel = await incident_channel(bot)
    await settled(bot)

    batch = [am_alert(f"b{n}", summary=f"Pod {n} erroring") for n in range(3)]
    assert await send(bot, "alertmanager", alertmanager(*batch)) == (202, {"stored": 3})
    digest = await message_in(bot, channel.id, "3 alerts attached")
    assert all(f"firing · Pod {n} erroring" in digest for n in range(3))
    await settled(bot)
    assert thread_replies(bot, channel.id) == [digest]
    assert await counts(db) == (1, 4, 4)
    async with db.acquire() as conn:
        entry = await conn.fetchrow(
            "SELECT data, slack_ts FROM timeline_entries WHERE kind = 'alert_attached' ORDER BY id DESC LIMIT 1"
        )
    assert entry["data"]["alert_ids"] == [2, 3, 4]
    assert entry["slack_ts"] is not None


async def test_an_unchanged_repeat_is_stored_and_attached_without_being_posted_again(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    channel = await incident_channel(bot)
    await settled(bot)
    renotified = alertmanager(am_alert("a"), am_alert("b", summary="Pod b erroring"))
    await send(bot, "alertmanager", renotified)
    digest = await message_in(bot, channel.id, "1 alert attached")
    assert "Pod b erroring" in digest
    assert "Checkout error rate above 10%" not in digest
    await settled(bot)
    assert await counts(db) == (1, 3, 3)


async def test_an_alert_with_a_known_fingerprint_attaches_from_another_group(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("same-fingerprint")))
    channel = await incident_channel(bot)
    await settled(bot)
    await send(
        bot,
        "generic",
        {"title": "Checkout errors (from a script)", "fingerprint": "same-fingerprint"},
    )
    await message_in(bot, channel.id, "Checkout errors (from a script)")
    await settled(bot)
    assert await counts(db) == (1, 2, 2)


async def test_a_resolved_alert_is_posted_as_resolved_and_suggests_resolving(
    bot: Sandbox,
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    channel = await incident_channel(bot)
    await send(
        bot, "alertmanager", alertmanager(am_alert("a", status="resolved"), status="resolved")
    )
    digest = await message_in(bot, channel.id, "resolved · Checkout error rate above 10%")
    assert "Every alert of this incident has resolved." in digest
    assert "`/incident resolve &lt;what fixed it&gt;`" in digest


async def test_a_partly_resolved_incident_says_what_still_fires(
    bot: Sandbox, clock: FakeClock
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a"), am_alert("b")))
    channel = await incident_channel(bot)
    await send(bot, "alertmanager", alertmanager(am_alert("b", status="resolved")))
    await settled(bot)
    clock.advance(seconds=1)  # a digest follows the previous one ("b" firing) a second later
    await settled(bot)
    digest = await message_in(bot, channel.id, "(1 resolved)")
    assert "1 alert still firing." in digest


async def test_a_resolved_alert_with_nothing_open_is_only_stored(bot: Sandbox, db: Pool) -> None:
    assert await send(bot, "alertmanager", alertmanager(am_alert(status="resolved"))) == (
        202,
        {"stored": 1},
    )
    await settled(bot)
    assert incident_channels(bot.slack) == []
    assert bot.slack.messages("incidents", include_system=False) == []
    assert await counts(db) == (0, 1, 0)


async def test_after_the_incident_is_resolved_the_group_declares_anew(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    first = await incident_channel(bot)
    await settled(bot)
    await bot.command("resolve rolled back", channel=first.id)
    await message_in(bot, first.id, "Incident resolved")
    clock.advance(hours=1)

    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    second = await incident_channel(bot, count=2)
    assert second.name == "incident-20261124-002"
    await settled(bot)
    assert await counts(db) == (2, 2, 2)


async def test_a_storm_into_one_group_declares_one_incident_and_loses_nothing(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    deliveries = [alertmanager(am_alert(f"fp{n}", summary=f"Shard {n} down")) for n in range(40)]
    answers = await asyncio.gather(*(send(bot, "alertmanager", d) for d in deliveries))
    assert answers == [(202, {"stored": 1})] * 40

    def all_posted(slack: SlackStandIn) -> bool:
        return len(incident_channels(slack)) == 1 and bool(incident_channels(slack)[0].pins)

    await bot.slack.wait_for(all_posted)
    await deliver_retries(bot, clock)  # each digest follows the previous one a second later
    assert await counts(db) == (1, 40, 40)
    channel = incident_channels(bot.slack)[0]
    replies = thread_replies(bot, channel.id)
    assert len(replies) < 40
    async with db.acquire() as conn:
        attached = await conn.fetch(
            "SELECT data FROM timeline_entries WHERE kind = 'alert_attached'"
        )
    ids = sorted(i for entry in attached for i in entry["data"]["alert_ids"])
    assert ids == list(range(1, 41))


async def test_a_digest_lists_twenty_alerts_and_counts_the_rest(bot: Sandbox) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("first")))
    channel = await incident_channel(bot)
    await settled(bot)
    batch = [am_alert(f"fp{n}", summary=f"Shard {n} down") for n in range(45)]
    await send(bot, "alertmanager", alertmanager(*batch))
    digest = await message_in(bot, channel.id, "45 alerts attached")
    assert "Shard 19 down" in digest
    assert "Shard 20 down" not in digest
    assert "…and 25 more" in digest


async def test_rate_limited_posts_are_retried_after_retry_after_never_dropped(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    channel = await incident_channel(bot)
    await settled(bot)
    bot.slack.inject("chat.postMessage", "ratelimited", retry_after=0, times=1)
    await send(bot, "alertmanager", alertmanager(am_alert("b", summary="Still failing")))
    await deliver_retries(bot, clock)
    await message_in(bot, channel.id, "Still failing")
    await settled(bot)
    assert len([c for c in bot.slack.calls if c.status == 429]) == 1
    assert await counts(db) == (1, 2, 2)


async def test_a_failed_declaration_lets_the_next_alert_try_again(bot: Sandbox, db: Pool) -> None:
    bot.slack.inject("conversations.create", "restricted_action")
    await send(bot, "alertmanager", alertmanager(am_alert("a")))
    await settled(bot)
    assert incident_channels(bot.slack) == []

    await send(bot, "alertmanager", alertmanager(am_alert("b")))
    channel = await incident_channel(bot)
    await message_in(bot, channel.id, "1 alert attached")  # "a", released, comes along
    assert len(incident_channels(bot.slack)) == 1
    async with db.acquire() as conn:
        attached = await conn.fetch("SELECT incident_id, count(*) FROM alerts GROUP BY 1")
        statuses = await conn.fetch("SELECT id, status FROM incidents ORDER BY id")
    assert [tuple(row) for row in attached] == [(2, 2)]  # 1 was reserved, then given up
    assert [tuple(row) for row in statuses] == [(1, "resolved"), (2, "investigating")]


async def test_an_alert_waiting_for_its_group_sees_the_incident_the_declarer_just_settled(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    """Another replica holds the group's row while it records its new incident; an alert
    arriving meanwhile waits for the row, then attaches to that incident."""
    (alert,) = parse_alerts("alertmanager", json.dumps(alertmanager(am_alert("late"))).encode())
    async with db.acquire() as conn:
        incident = await incidents.insert(
            conn,
            channel_id="C0OTHER",
            channel_name="incident-20261124-001",
            title="Declared by the other replica",
            severity="sev1",
            declared_by=None,
            declared_at=clock(),
            commander=None,
        )
    async with db.acquire() as declarer, declarer.transaction():
        await alert_groups.lock(declarer, alert.group_key, clock())
        arriving = asyncio.create_task(bot.services.alerts.receive([alert]))
        await waiting_for_a_lock(db)
        await alert_groups.settle(declarer, alert.group_key, incident.id, clock())
    receipt = await arriving
    assert (receipt.declared, receipt.attached) == ({}, {incident.id})


async def waiting_for_a_lock(db: Pool) -> None:
    """Return once another session waits for a row lock (bounded: a few seconds).

    Asked on a connection outside any transaction: inside one, PostgreSQL keeps showing the
    activity it saw first.
    """
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    async with asyncio.timeout(5), db.acquire() as probe:
        while True:
            if await probe.fetchval(query):
                return
            await asyncio.sleep(0.01)  # polling PostgreSQL for a condition, bounded
