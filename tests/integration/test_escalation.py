from collections.abc import AsyncIterator

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.services.container import open_services
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in
from tests.integration.timers import (
    ESCALATION_MARK,
    NO_COMMANDER_MARK,
    declared_without_commander,
    posted,
    rows,
    run_due,
)

POLICY = Policy.model_validate(
    {
        "escalation": [
            {"after": "30m", "notify": ["<!subteam^S0ENGMGRS>"]},
            {"after": "1h", "severities": ["sev1"], "notify": ["U0VPENG"]},
        ]
    }
)


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    """The bot with the design's escalation policy: managers at 30 min, the VP at 1 h for SEV-1."""
    async with sandbox(database_url=migrated, clock=clock, policy=POLICY) as running:
        yield running


def escalations(bot: Sandbox, channel: str) -> list[str]:
    return [m.text for m in posted(bot.slack, channel, ESCALATION_MARK)]


async def test_escalation_steps_fire_once_each_in_the_channel_and_the_announce_channel(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=29)
    await run_due(bot)
    assert escalations(bot, channel.id) == []
    clock.advance(minutes=1)
    await run_due(bot)
    (first,) = escalations(bot, channel.id)
    assert first.startswith(
        ":rotating_light: *Escalation* <!subteam^S0ENGMGRS>: *[SEV-1 Critical] Checkout errors*"
    )
    assert "is unresolved after 30m." in first
    clock.advance(minutes=30)
    await run_due(bot)
    clock.advance(hours=3)
    await run_due(bot)
    first_again, second = escalations(bot, channel.id)
    assert first_again == first
    assert "*Escalation* <@U0VPENG>: " in second
    assert escalations(bot, "incidents") == [first, second]
    stamped = await rows(
        db, "SELECT data FROM timeline_entries WHERE kind = 'escalation' ORDER BY id"
    )
    assert [e["data"]["step"] for e in stamped] == [0, 1]


async def test_a_sev2_incident_skips_the_sev1_only_step(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(hours=2)
    await run_due(bot)
    (only,) = escalations(bot, channel.id)
    assert "<!subteam^S0ENGMGRS>" in only


async def test_regrading_to_sev1_after_the_hour_escalates_at_once(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(minutes=70)
    await run_due(bot)
    await bot.command("severity sev1", channel=channel.id)
    await message_in(bot, channel.id, "Severity changed")
    await run_due(bot)
    first, vp = escalations(bot, channel.id)
    assert "<!subteam^S0ENGMGRS>" in first
    assert "<@U0VPENG>" in vp


async def test_resolving_cancels_escalation(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=20)
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    clock.advance(hours=2)
    assert await run_due(bot) == 0
    assert escalations(bot, "incidents") == []


async def test_escalation_missed_during_a_restart_fires_once_marked_late(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    clock.advance(hours=3)  # every replica was down
    settings = bot.services.settings
    async with (
        open_services(settings, POLICY, clock, {}) as first,
        open_services(settings, POLICY, clock, {}) as second,
    ):
        for replica in (first, second):
            await replica.scheduler.run_due()
        for replica in (first, second):  # their posts delivered, not left to a wake-up
            await replica.dispatcher.settle()
    posts = escalations(bot, channel.id)  # posted concurrently: in either order
    (managers,) = [text for text in posts if "<!subteam^S0ENGMGRS>" in text]
    (vp,) = [text for text in posts if "<@U0VPENG>" in text]
    assert len(posts) == 2
    assert "Late by 2h 30m: the bot was not running" in managers
    assert "Late by 2h: the bot was not running" in vp


async def test_no_commander_by_respond_within_is_said_in_both_channels(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    incident = await declared_without_commander(bot, "sev2")
    clock.advance(minutes=59)
    await run_due(bot)
    assert posted(bot.slack, incident.channel_id, NO_COMMANDER_MARK) == []
    clock.advance(minutes=1)
    await run_due(bot)
    (said,) = [m.text for m in posted(bot.slack, incident.channel_id, NO_COMMANDER_MARK)]
    assert "*[SEV-2 High] Disk &lt;full&gt; on db-1*" in said
    assert "SEV-2 High incidents need one within 1h of declaration" in said
    assert [m.text for m in posted(bot.slack, "incidents", NO_COMMANDER_MARK)] == [said]
    stamped = await rows(db, "SELECT data FROM timeline_entries WHERE kind = 'escalation'")
    assert [e["data"].get("rule") for e in stamped] == [None, "respond_within"]


async def test_a_commander_in_time_means_no_respond_within_message(
    bot: Sandbox, clock: FakeClock
) -> None:
    incident = await declared_without_commander(bot, "sev2")
    clock.advance(minutes=20)
    alice = bot.slack.resolve_user("alice")
    await bot.command(f"assign commander <@{alice}>", channel=incident.channel_id)
    await message_in(bot, incident.channel_id, "is now *Incident commander*")
    clock.advance(minutes=40)
    await run_due(bot)
    assert posted(bot.slack, incident.channel_id, NO_COMMANDER_MARK) == []
