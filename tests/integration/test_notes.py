"""`/incident note` and `/incident timeline`: adding to the timeline and reading it back."""

from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to, run_in, stamped


async def test_a_note_is_stamped_and_shown_in_the_channel(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("note bob is paging the payments team", user="alice", channel=channel.id)

    posted = await message_in(bot, channel.id, "Noted by")
    assert (
        f"Noted by <@{bot.slack.resolve_user('alice')}>: bob is paging the payments team" in posted
    )
    notes = await stamped(db, "note")
    assert [(n["actor"], n["body"], n["data"]) for n in notes] == [
        (bot.slack.resolve_user("alice"), "bob is paging the payments team", {})
    ]


async def test_a_leading_tag_files_the_note_for_the_postmortem(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("note Root cause: token refresh retry removed", channel=channel.id)

    posted = await message_in(bot, channel.id, "noted by")
    assert posted.startswith(":memo: *Root cause* noted by")
    assert "the post-mortem files it under Root cause" in posted
    notes = await stamped(db, "note")
    assert [(n["body"], n["data"]) for n in notes] == [
        ("token refresh retry removed", {"tag": "root_cause"})
    ]


async def test_notes_are_taken_after_the_resolution_too(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.command("note lesson: keep the shard map in the runbook", channel=channel.id)
    await message_in(bot, channel.id, "keep the shard map")
    assert [n["data"]["tag"] for n in await stamped(db, "note")] == ["lesson"]


async def test_a_note_outside_an_incident_channel_says_where_it_works(
    bot: Sandbox, db: Pool
) -> None:
    await bot.command("note hello", channel="incidents")
    reply = await reply_to(bot, "alice", "works inside an incident channel")
    assert "Usage: `/incident note" in reply
    assert await stamped(db) == []


async def test_timeline_shows_the_asker_alone_the_last_entries(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    for text in ("first", "second", "third"):
        clock.advance(minutes=1)
        await bot.sender.post_message("bob", channel.id, text)
    await bot.command("timeline 2", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    bob = bot.slack.resolve_user("bob")
    lines = shown.splitlines()
    assert lines[0] == "*Timeline* · the last 2 of 4 entries · times in UTC"
    assert lines[1].startswith(f"`09:32:00` <@{bob}> second <https://standin.slack.com/archives/")
    assert lines[2].startswith(f"`09:33:00` <@{bob}> third <")
    assert not bot.slack.ephemerals("alice", channel=channel.id)
    assert not any("*Timeline*" in m.text for m in bot.slack.messages(channel.id))


async def test_timeline_quotes_people_without_pinging_and_hides_deleted_text(
    bot: Sandbox,
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    alice = bot.slack.resolve_user("alice")
    await bot.sender.post_message(
        "bob", channel.id, f"<!channel> <@{alice}> see <https://x.io|this>"
    )
    oops = await bot.sender.post_message("bob", channel.id, "token: xoxp-secret")
    await bot.sender.delete_message("bob", channel.id, oops.ts)
    await bot.command("timeline", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    assert f"&lt;!channel&gt; <@{alice}> see &lt;https://x.io|this&gt;" in shown
    assert "xoxp-secret" not in shown
    assert "_(message deleted)_" in shown
    assert "_deleted a message_" in shown


async def test_timeline_shows_the_bots_own_entries_as_people_read_them(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    await run_in(bot, channel, "update identified: bad deploy", "Update #1")
    await run_in(bot, channel, "severity sev1", "Severity changed")
    await run_in(bot, channel, f"assign lead <@{bob}|bob>", "is now")
    await run_in(bot, channel, "note lesson: canary first", "canary first")
    await bot.command("timeline", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    assert "*Update #1* (Identified): bad deploy" in shown
    assert "Severity: SEV-2 High → SEV-1 Critical" in shown
    assert f"Technical lead: <@{bob}>" in shown
    assert ":memo: *Lesson:* canary first" in shown
    assert "sev2 → sev1" not in shown


async def test_timeline_outside_an_incident_channel_says_where_it_works(bot: Sandbox) -> None:
    await bot.command("timeline", channel="incidents")
    reply = await reply_to(bot, "alice", "works inside an incident channel")
    assert "Usage: `/incident timeline [n]`" in reply


async def test_every_command_is_stamped_as_a_system_fact(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    for command, shows in (
        ("severity sev1", "Severity changed"),
        (f"assign lead <@{bob}|bob>", "is now"),
        ("update identified: bad deploy", "Update #1"),
        ("note action item: add a canary", "add a canary"),
        ("resolve rolled back", "Incident resolved"),
    ):
        clock.advance(minutes=1)
        await bot.command(command, channel=channel.id)
        await message_in(bot, channel.id, shows)

    assert [(r["kind"], r["actor"]) for r in await stamped(db)] == [
        (kind, bot.slack.resolve_user("alice"))
        for kind in (
            "declared",
            "severity_changed",
            "role_assigned",
            "update",
            "note",
            "followup_recorded",  # an action item note records a follow-up
            "resolved",
        )
    ]
