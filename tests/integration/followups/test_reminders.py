"""The owner's DMs: one the day a follow-up falls due, then one a week while it stays overdue;
none once it is done."""

from bot.demo.sandbox import Sandbox
from tests.conftest import FakeClock
from tests.integration.followups.helpers import dms, recorded, user_id
from tests.integration.timers import run_due


async def test_the_owner_gets_one_dm_when_due_then_weekly_while_overdue_and_none_after_done(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare()
    bob = user_id(bot, "bob")
    message = await recorded(bot, channel, f"followup Add a canary stage <@{bob}> due 2026-11-26")

    clock.advance(days=1)  # 2026-11-25 09:30: not yet due
    await run_due(bot)
    assert dms(bot, "bob") == []

    clock.advance(days=1)  # 2026-11-26 09:30: due today
    await run_due(bot)
    await run_due(bot)
    (due,) = dms(bot, "bob")
    assert "due today" in due
    assert "Add a canary stage" in due
    assert f"<#{channel.id}>" in due

    clock.advance(days=6)  # a week after the due DM's 09:00 has not come yet
    await run_due(bot)
    assert len(dms(bot, "bob")) == 1
    clock.advance(days=1)
    await run_due(bot)
    assert len(dms(bot, "bob")) == 2
    assert "overdue (due 2026-11-26)" in dms(bot, "bob")[1]

    await bot.sender.click("bob", channel.id, message.ts, "followup.done")
    await bot.settle()
    clock.advance(days=7)
    await run_due(bot)
    assert len(dms(bot, "bob")) == 2


async def test_a_followup_without_an_owner_or_date_sends_no_dm(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare()
    await recorded(bot, channel, "followup Write the customer letter due in 1d")

    clock.advance(days=30)
    await run_due(bot)

    assert [c for c in bot.slack.channels.values() if c.is_im] == []
