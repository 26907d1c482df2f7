"""`/incident followups [mine | @person | all | overdue]`: open ones across incidents, from any
channel, each linking its incident's channel."""

from bot.demo.sandbox import Sandbox
from tests.conftest import FakeClock
from tests.integration.followups.helpers import recorded, user_id
from tests.integration.helpers import reply_to


async def three_followups(bot: Sandbox) -> tuple[str, str]:
    """bob owns one due in a week and one due tomorrow (in another incident); nobody owns the
    third. Returns the two incidents' channel ids."""
    bob = user_id(bot, "bob")
    first = await bot.declare("sev1 Checkout errors")
    second = await bot.declare("sev2 Search is slow")
    await recorded(bot, first, f"followup Add a canary stage <@{bob}> due in 1w")
    await recorded(bot, second, f"followup Tune the search cache <@{bob}> due in 1d")
    await recorded(bot, first, "followup Write the customer letter")
    return first.id, second.id


async def test_mine_lists_my_open_followups_across_incidents_from_any_channel(
    bot: Sandbox,
) -> None:
    first, second = await three_followups(bot)

    await bot.command("followups", user="bob", channel="incidents")

    said = await reply_to(bot, "bob", "Your open follow-ups")
    assert said.index("Tune the search cache") < said.index("Add a canary stage")
    assert f"<#{first}>" in said
    assert f"<#{second}>" in said
    assert "Write the customer letter" not in said


async def test_all_and_a_person(bot: Sandbox) -> None:
    await three_followups(bot)
    bob = user_id(bot, "bob")

    await bot.command("followups all", user="carol", channel="incidents")
    await bot.command(f"followups <@{bob}|bob>", user="dave", channel="incidents")

    everything = await reply_to(bot, "carol", "Open follow-ups")
    assert "Write the customer letter" in everything
    assert "Add a canary stage" in everything
    of_bob = await reply_to(bot, "dave", "Open follow-ups of")
    assert "Tune the search cache" in of_bob
    assert "Write the customer letter" not in of_bob


async def test_overdue_lists_only_those_past_their_date(bot: Sandbox, clock: FakeClock) -> None:
    await three_followups(bot)
    clock.advance(days=2)

    await bot.command("followups overdue", user="alice", channel="incidents")

    said = await reply_to(bot, "alice", "Overdue follow-ups")
    assert "Tune the search cache" in said
    assert "overdue" in said
    assert "Add a canary stage" not in said


async def test_done_ones_are_not_listed(bot: Sandbox) -> None:
    channel = await bot.declare()
    message = await recorded(bot, channel, f"followup Add a canary <@{user_id(bot, 'bob')}>")
    await bot.sender.click("bob", channel.id, message.ts, "followup.done")
    await bot.settle()

    await bot.command("followups", user="bob", channel="incidents")

    assert "Nothing open here" in await reply_to(bot, "bob", "Your open follow-ups")


async def test_a_word_that_is_no_scope_is_refused(bot: Sandbox) -> None:
    await bot.command("followups everything", channel="incidents")

    said = await reply_to(bot, "alice", "Usage: `/incident followups")
    assert "`everything` is not `mine`, `all`, `overdue` or an @person." in said
