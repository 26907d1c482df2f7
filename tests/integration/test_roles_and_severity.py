from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.helpers import message_in, reply_to


async def test_assigning_a_role_invites_announces_and_records(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    await bot.command(f"assign lead <@{bob}|bob>", channel=channel.id)

    posted = await message_in(bot, channel.id, "is now *Technical lead*")
    assert posted.startswith(f":bust_in_silhouette: <@{bob}> is now *Technical lead*")
    assert bob in channel.members
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT lead FROM incidents") == bob
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM timeline_entries WHERE kind = 'role_assigned'"
            )
            == 1
        )


async def test_a_new_commander_is_shown_in_the_topic(bot: Sandbox) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    carol = bot.slack.resolve_user("carol")
    await bot.command(f"assign commander <@{carol}>", channel=channel.id)
    posted = await message_in(bot, channel.id, "is now *Incident commander*")
    assert f"(was <@{bot.slack.resolve_user('alice')}>)" in posted
    await bot.slack.wait_for(lambda s: f"IC: <@{carol}>" in channel.topic)


async def test_assign_without_a_mention_is_refused(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ack = await bot.command("assign lead bob", channel=channel.id)
    assert ack.json is not None
    assert "`bob` is not a person" in ack.json["text"]
    assert "Usage: `/incident assign &lt;commander|lead|comms&gt; @person`" in ack.json["text"]


async def test_regrading_updates_channel_topic_and_record(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev3 Exports are slow")
    await bot.command("severity critical", user="bob", channel=channel.id)

    posted = await message_in(bot, channel.id, "Severity changed")
    assert "SEV-3 Medium → *SEV-1 Critical*" in posted
    assert "every 15m" in posted
    await bot.slack.wait_for(lambda s: channel.topic.startswith("SEV-1 Critical"))
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT severity FROM incidents") == "sev1"
        data = await conn.fetchval(
            "SELECT data FROM timeline_entries WHERE kind = 'severity_changed'"
        )
    assert data == {"from": "sev3", "to": "sev1"}


async def test_regrading_to_the_same_severity_changes_nothing(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("severity p1", channel=channel.id)
    reply = await reply_to(bot, "alice", "already SEV-2 High")
    assert "Usage: `/incident severity" in reply
    async with db.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM timeline_entries WHERE kind = 'severity_changed'"
            )
            == 0
        )
