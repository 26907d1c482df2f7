"""Ticking and unticking items: the message is re-drawn from PostgreSQL, the timeline stamped."""

import asyncio

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Message, SlackStandIn
from bot.domain.drills import DRILL_BANNER
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.checklists.helpers import boxes, header, posted, tick, ticked
from tests.integration.helpers import deliver_retries, message_in, reply_to, stamped


async def test_a_tick_shows_who_and_when_and_is_stamped(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    clock.advance(minutes=4)
    await tick(bot, "bob", message, "Severity assessed and confirmed")

    bob = bot.slack.resolve_user("bob")
    assert header(message) == "SEV-1 Response Checklist — 1/2"
    assert ticked(message) == {"Severity assessed and confirmed": f"✓ <@{bob}> · 09:34 UTC"}
    rows = await stamped(db, "checklist_item_checked")
    assert [(r["actor"], r["body"]) for r in rows] == [
        (bob, "SEV-1 Response Checklist: Severity assessed and confirmed")
    ]


async def test_an_untick_clears_the_item_and_is_stamped(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    await tick(bot, "bob", message, "Severity assessed and confirmed")
    await tick(bot, "carol", message, "Severity assessed and confirmed")

    assert header(message) == "SEV-1 Response Checklist — 0/2"
    assert ticked(message) == {}
    kinds = [
        r["kind"] for r in await stamped(db, "checklist_item_checked", "checklist_item_unchecked")
    ]
    assert kinds == ["checklist_item_checked", "checklist_item_unchecked"]


async def test_two_people_ticking_at_once_both_count(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("checklist pre-rollback", channel=channel.id)
    message = await posted(bot, channel, "Pre-Rollback Checklist")

    # Both click on the message as it was drawn before either tick (same element).
    results = await asyncio.gather(
        bot.sender.tick("bob", channel.id, message.ts, "Emergency backup created"),
        bot.sender.tick("carol", channel.id, message.ts, "Rollback target identified"),
    )
    assert [r.status for r in results] == [200, 200]
    await bot.settle()

    assert header(message) == "Pre-Rollback Checklist — 2/12"
    assert set(ticked(message)) == {"Emergency backup created", "Rollback target identified"}
    assert len(await stamped(db, "checklist_item_checked")) == 2


async def test_sixty_items_are_split_into_blocks_of_ten(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("checklist long", channel=channel.id)
    message = await posted(bot, channel, "Long list")

    elements = boxes(message)
    assert [len(e["options"]) for e in elements] == [10] * 6  # type: ignore[arg-type]
    await tick(bot, "bob", message, "Step 55 done")
    await tick(bot, "carol", message, "Step 03 done")
    assert header(message) == "Long list — 2/60"
    assert set(ticked(message)) == {"Step 55 done", "Step 03 done"}


async def test_a_tick_on_a_resolved_incident_is_refused_and_changes_nothing(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.settle()

    await tick(bot, "bob", message, "Incident commander assigned")
    answer = await reply_to(bot, "bob", "is resolved")
    assert "your click changed nothing" in answer
    assert ticked(message) == {}
    assert header(message) == "SEV-1 Response Checklist — 0/2"
    assert await stamped(db, "checklist_item_checked") == []


async def test_an_unsigned_tick_is_refused(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    result = await bot.sender.tick(
        "bob", channel.id, message.ts, "Incident commander assigned", bad_signature=True
    )
    await bot.settle()

    assert result.status == 401
    assert ticked(message) == {}
    assert await stamped(db, "checklist_item_checked") == []


async def test_a_drills_checklist_keeps_its_drill_mark_through_coalesced_redraws(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.drill("sev2 Rollback practice")
    await bot.command("checklist pre-rollback", channel=channel.id)
    await bot.slack.wait_for(lambda s: _drill_checklist(s, channel.id) is not None)
    message = _drill_checklist(bot.slack, channel.id)
    assert message is not None
    bot.slack.monotonic = lambda: clock().timestamp()
    bot.slack.outage(20, "http_503")  # the first redraw waits; the second refreshes it in place
    for item in ("Emergency backup created", "Rollback target identified"):
        assert (await bot.sender.tick("bob", channel.id, message.ts, item)).status == 200
        await bot.settle()
    clock.advance(seconds=21)
    await deliver_retries(bot, clock)

    assert set(ticked(message)) == {"Emergency backup created", "Rollback target identified"}
    assert message.text.startswith("[DRILL] ")
    assert DRILL_BANNER in str((message.blocks or [{}])[0])


def _drill_checklist(slack: SlackStandIn, channel: str) -> Message | None:
    return next((m for m in slack.messages(channel) if "Pre-Rollback Checklist" in m.text), None)
