from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to


async def test_an_update_posts_update_n_from_the_template(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=10)
    await bot.command(
        "update identified: bad deploy of api v2.3.1, rolling back", channel=channel.id
    )

    posted = await message_in(bot, channel.id, "Update #1")
    assert "[SEV-1 Critical] Update #1 – 09:40 UTC" in posted
    assert "*Current status:* Identified (was Investigating)" in posted
    assert "*Cause:* bad deploy of api v2.3.1, rolling back" in posted
    assert "*Next update:* 09:55 UTC" in posted
    await bot.slack.wait_for(lambda s: "Identified" in (s.channel(channel.id) or channel).topic)

    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT status, update_count, last_update_at FROM incidents")
        entry = await conn.fetchrow("SELECT body, data FROM timeline_entries WHERE kind = 'update'")
    assert (row["status"], row["update_count"]) == ("identified", 1)
    assert row["last_update_at"] == clock.now
    assert entry["body"] == "bad deploy of api v2.3.1, rolling back"
    assert entry["data"]["status"] == "identified"


async def test_updates_are_numbered_and_keep_the_status_when_none_is_given(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("update mitigating: scaling search nodes", channel=channel.id)
    await message_in(bot, channel.id, "Update #1")
    await bot.command("update three of five nodes added", channel=channel.id)
    second = await message_in(bot, channel.id, "Update #2")
    assert "*Current status:* Mitigating" in second
    assert "(was" not in second


async def test_an_update_outside_an_incident_channel_is_refused(bot: Sandbox, db: Pool) -> None:
    await bot.command("update identified: something", channel="incidents")
    reply = await reply_to(bot, "alice", "works inside an incident channel")
    assert "Usage: `/incident update" in reply
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM timeline_entries") == 0


async def test_the_status_card_shows_roles_age_and_the_next_update(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("update identified: hot shard", channel=channel.id)
    await message_in(bot, channel.id, "Update #1")
    clock.advance(minutes=45)
    await bot.command("status", user="bob", channel=channel.id)

    card = await reply_to(bot, "bob", "Next update due")
    assert "*[SEV-2 High] Search is slow*" in card
    assert "*Status:* Identified" in card
    assert "*Age:* 45m" in card
    assert "Update #1, 2026-11-24 09:30 UTC" in card
    assert "*Next update due:* 2026-11-24 10:00 UTC — *overdue*" in card
    assert f"*Incident commander:* <@{bot.slack.resolve_user('alice')}>" in card
    assert "*Technical lead:* _unassigned_" in card


async def test_status_outside_an_incident_channel_says_where_it_works(bot: Sandbox) -> None:
    await bot.command("status", channel="incidents")
    reply = await reply_to(bot, "alice", "works inside an incident channel")
    assert "Usage: `/incident status`" in reply


async def test_an_updates_words_are_labelled_by_what_its_status_says(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    said = {}
    for number, (status, label) in enumerate(
        [
            ("investigating", "Findings"),
            ("identified", "Cause"),
            ("mitigating", "Actions taken"),
            ("monitoring", "Progress"),
        ],
        start=1,
    ):
        await bot.command(f"update {status}: words of update {number}", channel=channel.id)
        said[label] = await message_in(bot, channel.id, f"Update #{number} –")
    for label, posted in said.items():
        assert f"*{label}:* words of update" in posted
        others = [other for other in said if other != label]
        assert not any(f"*{other}:*" in posted for other in others)
