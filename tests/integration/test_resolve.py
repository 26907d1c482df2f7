from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to, texts


async def test_resolving_posts_the_notice_with_duration_and_announces_it(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(hours=1, minutes=23)
    await bot.command(
        "resolve Rolled back to v2.3.0; error rate at baseline", user="bob", channel=channel.id
    )

    notice = await message_in(bot, channel.id, "Incident resolved")
    assert "[SEV-1 Critical] Incident resolved – 10:53 UTC" in notice
    assert "*Resolution:* Rolled back to v2.3.0; error rate at baseline" in notice
    assert "*Duration:* 1h 23m (started 2026-11-24 09:30 UTC)" in notice
    announced = await message_in(bot, "incidents", "Resolved: Checkout errors")
    assert f"<#{channel.id}>" in announced
    assert "*Duration:* 1h 23m" in announced
    await bot.slack.wait_for(lambda s: "Resolved" in channel.topic)
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT status, resolved_at, resolution FROM incidents")
    assert (row["status"], row["resolved_at"]) == ("resolved", clock.now)


async def test_resolving_twice_is_refused_and_changes_nothing(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.command("resolve fixed again", user="bob", channel=channel.id)

    reply = await reply_to(bot, "bob", "already resolved")
    assert "Usage: `/incident resolve" in reply
    assert sum("Incident resolved" in t for t in texts(bot.slack, channel.id)) == 1
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT resolution FROM incidents") == "fixed"
        assert (
            await conn.fetchval("SELECT count(*) FROM timeline_entries WHERE kind = 'resolved'")
            == 1
        )


async def test_a_resolved_incident_takes_no_more_updates(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.command("update it is back", channel=channel.id)
    await reply_to(bot, "alice", "already resolved")
    assert not any("Update #" in t for t in texts(bot.slack, channel.id))


async def test_list_shows_open_incidents_newest_first(bot: Sandbox, clock: FakeClock) -> None:
    older = await bot.declare("sev3 Exports are slow")
    clock.advance(minutes=20)
    newer = await bot.declare("sev1 Checkout errors")
    closed = await bot.declare("sev4 Typo on the status page")
    await bot.command("resolve fixed", channel=closed.id)
    await message_in(bot, closed.id, "Incident resolved")
    clock.advance(minutes=5)

    await bot.command("list", user="dave")
    listing = await reply_to(bot, "dave", "Open incidents")
    lines = listing.splitlines()[1:]
    assert lines == [
        f"• <#{newer.id}> *SEV-1 Critical* · Investigating · 5m old · Checkout errors",
        f"• <#{older.id}> *SEV-3 Medium* · Investigating · 25m old · Exports are slow",
    ]


async def test_help_teaches_every_subcommand_with_an_example(bot: Sandbox) -> None:
    ack = await bot.command("help")
    assert ack.json is not None
    text = ack.json["text"]
    for name in ("declare", "update", "status", "severity", "assign", "resolve", "list", "help"):
        assert f"*{name}* —" in text
        assert f"e.g. `/incident {name}" in text
    assert "sev1/p0/critical" in text
