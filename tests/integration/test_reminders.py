import asyncio
from datetime import timedelta

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel
from bot.scheduler import Run
from bot.services.container import open_services
from bot.store import jobs
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in
from tests.integration.timers import (
    action_ids,
    declared_without_commander,
    reminders_in,
    rows,
    run_due,
)


async def overdue_reminder(bot: Sandbox, clock: FakeClock, channel: Channel) -> str:
    """Let a SEV-1's first reminder fire; return its ts."""
    clock.advance(minutes=15)
    await run_due(bot)
    return reminders_in(bot.slack, channel.id)[-1].ts


async def test_reminders_follow_each_severitys_cadence(bot: Sandbox, clock: FakeClock) -> None:
    channels = {
        sev: await bot.declare(f"{sev} Checkout errors") for sev in ("sev1", "sev2", "sev3", "sev4")
    }

    def reminded() -> set[str]:
        return {sev for sev, c in channels.items() if reminders_in(bot.slack, c.id)}

    seen = []
    for minutes in (14, 1, 14, 1, 29, 1, 179, 1):
        clock.advance(minutes=minutes)
        await run_due(bot)
        seen.append(reminded())
    assert seen == [
        set(),
        {"sev1"},
        {"sev1"},
        {"sev1", "sev2"},
        {"sev1", "sev2"},
        {"sev1", "sev2", "sev3"},
        {"sev1", "sev2", "sev3"},
        {"sev1", "sev2", "sev3", "sev4"},
    ]


async def test_a_reminder_mentions_the_commander_and_offers_update_and_snooze(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await overdue_reminder(bot, clock, channel)

    (reminder,) = reminders_in(bot.slack, channel.id)
    alice = bot.slack.resolve_user("alice")
    assert reminder.text.startswith(f":alarm_clock: <@{alice}>, no update has been posted")
    assert "*SEV-1 Critical* updates are due every 15m. Time for Update #1." in reminder.text
    assert action_ids(reminder) == [
        "reminder.post_update",
        "reminder.snooze_15",
        "reminder.snooze_30",
        "reminder.snooze_60",
    ]
    (entry,) = await rows(db, "SELECT at, body FROM timeline_entries WHERE kind = 'reminder'")
    assert entry == {"at": clock.now, "body": "Reminder: Update #1 is due"}


async def test_reminders_repeat_each_cadence_until_an_update_is_posted(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    for _ in range(3):
        clock.advance(minutes=15)
        await run_due(bot)
    assert len(reminders_in(bot.slack, channel.id)) == 3


async def test_an_update_re_arms_the_reminder_from_the_updates_time(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=10)
    await bot.command("update identified: bad deploy", channel=channel.id)
    await message_in(bot, channel.id, "Update #1")
    clock.advance(minutes=14)
    await run_due(bot)
    assert reminders_in(bot.slack, channel.id) == []
    clock.advance(minutes=1)
    await run_due(bot)
    (reminder,) = reminders_in(bot.slack, channel.id)
    assert "Update #1 was posted 15m ago" in reminder.text


async def test_snoozing_holds_reminders_back_for_the_chosen_minutes(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ts = await overdue_reminder(bot, clock, channel)
    await bot.sender.click("bob", channel.id, ts, "reminder.snooze_30")
    snoozed = await message_in(bot, channel.id, ":zzz:")
    bob = bot.slack.resolve_user("bob")
    assert snoozed == (
        f":zzz: <@{bob}> snoozed update reminders for 30m: the next one comes at 10:15 UTC,"
        " unless an update is posted first."
    )
    clock.advance(minutes=15)
    await run_due(bot)
    assert len(reminders_in(bot.slack, channel.id)) == 1
    clock.advance(minutes=15)
    await run_due(bot)
    assert len(reminders_in(bot.slack, channel.id)) == 2
    (entry,) = await rows(
        db, "SELECT actor, data FROM timeline_entries WHERE kind = 'reminder_snoozed'"
    )
    assert entry["actor"] == bob
    assert entry["data"]["minutes"] == 30


async def test_a_severity_change_re_arms_with_the_new_cadence(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=5)
    await bot.command("severity sev3", channel=channel.id)
    await message_in(bot, channel.id, "Severity changed")
    clock.advance(minutes=54)
    await run_due(bot)
    assert reminders_in(bot.slack, channel.id) == []
    clock.advance(minutes=1)
    await run_due(bot)
    (reminder,) = reminders_in(bot.slack, channel.id)
    assert "*SEV-3 Medium* updates are due every hour" in reminder.text


async def test_a_severity_change_that_makes_an_update_overdue_reminds_at_once(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev3 Search is slow")
    clock.advance(minutes=40)
    await bot.command("severity sev1", channel=channel.id)
    await message_in(bot, channel.id, "Severity changed")
    await run_due(bot)
    (reminder,) = reminders_in(bot.slack, channel.id)
    assert "*SEV-1 Critical* updates are due every 15m" in reminder.text


async def test_resolving_stops_reminders(bot: Sandbox, clock: FakeClock, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    clock.advance(hours=4)
    assert await run_due(bot) == 0
    assert reminders_in(bot.slack, channel.id) == []
    assert await rows(db, "SELECT key FROM jobs WHERE state = 'pending'") == []


async def test_a_reminder_without_a_commander_says_none_is_assigned(
    bot: Sandbox, clock: FakeClock
) -> None:
    incident = await declared_without_commander(bot, "sev2")
    clock.advance(minutes=30)
    await run_due(bot)
    (reminder,) = reminders_in(bot.slack, incident.channel_id)
    assert reminder.text.startswith(":alarm_clock: *No incident commander is assigned.* ")
    assert "take command with `/incident assign commander @you`" in reminder.text


async def test_a_reminder_job_run_twice_posts_once(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=15)
    async with db.acquire() as conn:
        (job,) = await jobs.claim_due(conn, now=clock(), lease=timedelta(minutes=2), limit=1)
    handler = bot.services.scheduler.handlers[job.kind]
    await asyncio.gather(handler(Run(job, timedelta(0))), handler(Run(job, timedelta(0))))
    await bot.services.dispatcher.settle()
    assert len(reminders_in(bot.slack, channel.id)) == 1
    pending = await rows(db, "SELECT kind FROM jobs WHERE state = 'pending' AND kind = 'reminder'")
    assert len(pending) == 1, "one next reminder armed, not two"


async def test_two_app_instances_on_one_database_post_each_reminder_once(
    bot: Sandbox, clock: FakeClock
) -> None:
    channels = [await bot.declare(f"sev1 Incident {n}") for n in range(6)]
    async with open_services(bot.services.settings, bot.services.policy, clock, {}) as other:
        for _ in range(2):
            clock.advance(minutes=15)
            await asyncio.gather(bot.services.scheduler.run_due(), other.scheduler.run_due())
            await asyncio.gather(bot.services.dispatcher.settle(), other.dispatcher.settle())
    assert [len(reminders_in(bot.slack, c.id)) for c in channels] == [2] * 6


async def test_a_restart_in_the_middle_fires_what_was_missed_once_marked_late(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await overdue_reminder(bot, clock, channel)
    clock.advance(hours=2)  # every replica is down; then one comes back
    async with open_services(bot.services.settings, bot.services.policy, clock, {}) as restarted:
        await restarted.scheduler.run_due()
        await restarted.scheduler.run_due()
        await restarted.dispatcher.settle()  # its post is delivered, not left to a wake-up
    _on_time, late = reminders_in(bot.slack, channel.id)
    assert "Late by 1h 45m: the bot was not running when this reminder was due" in late.text
    (entry,) = await rows(
        db, "SELECT data FROM timeline_entries WHERE kind = 'reminder' ORDER BY id OFFSET 1"
    )
    assert entry["data"]["late_by_seconds"] == 105 * 60
    next_due = await rows(
        db, "SELECT due_at FROM jobs WHERE state = 'pending' AND kind = 'reminder'"
    )
    assert next_due == [{"due_at": clock.now + timedelta(minutes=15)}]
