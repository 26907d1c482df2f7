"""When checklists are posted: on declare, with the resolution, on request; and the listing."""

from bot.demo.sandbox import Sandbox
from tests.integration.checklists.helpers import boxes, checklist, header, posted, tick
from tests.integration.helpers import message_in, reply_to


async def test_a_sev1_declaration_posts_its_checklist_after_the_first_message(
    bot: Sandbox,
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")

    assert header(message) == "SEV-1 Response Checklist — 0/2"
    ours = [m for m in bot.slack.messages(channel.id) if m.bot_id]
    assert ours.index(message) > 0
    assert "Checkout errors" in ours[0].text
    options = [o["text"]["text"] for o in boxes(message)[0]["options"]]  # type: ignore[index]
    assert options == ["Severity assessed and confirmed", "Incident commander assigned"]


async def test_a_sev3_declaration_posts_no_sev1_checklist(bot: Sandbox) -> None:
    channel = await bot.declare("sev3 Exports are slow")
    await bot.settle()
    assert checklist(bot.slack, channel.id, "SEV-1 Response Checklist") is None


async def test_resolving_posts_the_checklist_of_the_resolution(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")

    message = await posted(bot, channel, "post-recovery")
    assert header(message) == "post-recovery — 0/1"


async def test_a_checklist_is_posted_on_request_once(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("checklist pre-rollback", channel=channel.id)
    message = await posted(bot, channel, "Pre-Rollback Checklist")
    await tick(bot, "bob", message, "Emergency backup created")

    await bot.command("checklist pre-rollback", user="carol", channel=channel.id)
    answer = await reply_to(bot, "carol", "already in this channel")
    assert "(1/12)" in answer
    assert f"/archives/{channel.id}/p{message.ts.replace('.', '')}" in answer
    await bot.settle()
    assert sum(1 for m in bot.slack.messages(channel.id) if m.text.startswith("Pre-Rollback")) == 1


async def test_an_unknown_checklist_is_refused_with_the_names_there_are(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("checklist pre-rolback", user="bob", channel=channel.id)

    answer = await reply_to(bot, "bob", "is not a checklist")
    assert "`sev1-response`, `post-recovery`, `pre-rollback`, `long`" in answer
    assert "Usage: `/incident checklist [name]`" in answer


async def test_the_listing_shows_each_checklist_with_its_progress(bot: Sandbox) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    await tick(bot, "bob", message, "Incident commander assigned")

    await bot.command("checklist", user="dave", channel=channel.id)
    listing = await reply_to(bot, "dave", "Checklists of this incident")
    assert "`sev1-response` SEV-1 Response Checklist — *1/2*" in listing
    assert (
        "`pre-rollback` Pre-Rollback Checklist — *0/12* · not posted: "
        "`/incident checklist pre-rollback`" in listing
    )
