"""Done and Drop… on a follow-up's message: the row flips once, the click is stamped in the
timeline (after resolve too), the message is re-drawn, and a later click is told."""

import asyncio

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel, Message
from bot.store.db import Pool
from tests.integration.followups.helpers import buttons, current, recorded, rows, user_id
from tests.integration.helpers import reply_to, resolved_postmortem, stamped


async def dropped(bot: Sandbox, message: Message, reason: str, *, user: str = "bob") -> None:
    """Click Drop…, fill in the reason, submit."""
    views = set(bot.slack.views)
    await bot.sender.click(user, message.channel, message.ts, "followup.drop")
    await bot.slack.wait_for(lambda s: set(s.views) - views != set())
    (view_id,) = set(bot.slack.views) - views
    result = await bot.sender.submit_view(user, view_id, {"reason": {"reason": reason}})
    assert result.status == 200
    await bot.settle()


async def a_followup(bot: Sandbox) -> tuple[Channel, Message]:
    channel = await bot.declare()
    return channel, await recorded(bot, channel, "followup Add a canary stage")


async def test_done_closes_it_stamps_it_and_redraws_the_message_without_buttons(
    bot: Sandbox, db: Pool
) -> None:
    _, message = await a_followup(bot)

    await bot.sender.click("bob", message.channel, message.ts, "followup.done")
    await bot.settle()

    (row,) = await rows(db)
    assert (row["state"], row["closed_by"]) == ("done", user_id(bot, "bob"))
    (entry,) = await stamped(db, "followup_done")
    assert (entry["actor"], entry["body"]) == (user_id(bot, "bob"), "Add a canary stage")
    shown = current(bot, message)
    assert buttons(shown) == []
    assert "Done by" in shown.text


async def test_two_done_clicks_at_once_close_it_once_and_the_later_is_told(
    bot: Sandbox, db: Pool
) -> None:
    _, message = await a_followup(bot)

    await asyncio.gather(
        bot.sender.click("bob", message.channel, message.ts, "followup.done"),
        bot.sender.click("carol", message.channel, message.ts, "followup.done"),
    )
    await bot.settle()

    assert len(await stamped(db, "followup_done")) == 1
    (row,) = await rows(db)
    loser = "carol" if row["closed_by"] == user_id(bot, "bob") else "bob"
    assert "already done by" in await reply_to(bot, loser, "Your click changed nothing")


async def test_drop_asks_the_reason_and_keeps_it(bot: Sandbox, db: Pool) -> None:
    _, message = await a_followup(bot)

    await dropped(bot, message, "Superseded by the new deploy pipeline")

    (row,) = await rows(db)
    assert (row["state"], row["drop_reason"]) == (
        "dropped",
        "Superseded by the new deploy pipeline",
    )
    (entry,) = await stamped(db, "followup_dropped")
    assert "Superseded by the new deploy pipeline" in entry["body"]
    shown = current(bot, message)
    assert buttons(shown) == []
    assert "Dropped by" in shown.text


async def test_a_drop_without_a_reason_keeps_the_form_open(bot: Sandbox, db: Pool) -> None:
    _, message = await a_followup(bot)
    await bot.sender.click("bob", message.channel, message.ts, "followup.drop")
    await bot.slack.wait_for(lambda s: bool(s.views))

    result = await bot.sender.submit_view(
        "bob", next(iter(bot.slack.views)), {"reason": {"reason": " "}}
    )

    assert result.json is not None
    assert result.json["response_action"] == "errors"
    assert "reason" in result.json["errors"]
    assert [r["state"] for r in await rows(db)] == ["open"]


async def test_done_after_a_drop_is_told_and_changes_nothing(bot: Sandbox, db: Pool) -> None:
    _, message = await a_followup(bot)
    bot.slack.inject("chat.update", "ratelimited", retry_after=60)  # carol still sees Done
    await dropped(bot, message, "Not needed: the service is retired")

    await bot.sender.click("carol", message.channel, message.ts, "followup.done")
    await bot.settle()

    said = await reply_to(bot, "carol", "Your click changed nothing")
    assert "already dropped by" in said
    assert "Not needed: the service is retired" in said
    (row,) = await rows(db)
    assert row["state"] == "dropped"
    assert await stamped(db, "followup_done") == []


async def test_clicks_after_resolve_are_still_stamped(bot: Sandbox, db: Pool) -> None:
    channel, message = await a_followup(bot)
    await resolved_postmortem(bot, channel)

    await bot.sender.click("bob", message.channel, message.ts, "followup.done")
    await bot.settle()

    (entry,) = await stamped(db, "followup_done")
    assert entry["body"] == "Add a canary stage"
    assert [r["state"] for r in await rows(db)] == ["done"]
