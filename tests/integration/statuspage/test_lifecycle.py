"""The status page through an incident's life: status card, resolve button, post-mortem, drills."""

from bot.demo.sandbox import Sandbox
from bot.store import incidents
from tests.integration.approvals.helpers import buttons, cards, click, incident_channel, request
from tests.integration.helpers import message_in, reply_to, section, shared_postmortem, texts

OPENING = "Some card payments fail at checkout. We are investigating."


async def published(bot: Sandbox, approver: str = "bob") -> str:
    """An incident whose first statement is published; its channel id."""
    channel = await incident_channel(bot, "bob", "carol")
    card = await request(bot, channel, f"statuspage investigating checkout=major {OPENING}")
    await click(bot, approver, card)
    await message_in(bot, channel.id, "Published on the status page")
    return channel.id


async def test_status_shows_the_public_status_and_its_link(bot: Sandbox) -> None:
    channel = await published(bot)
    await bot.command("status", user="carol", channel=channel)

    card = await reply_to(bot, "carol", "Status page")
    (public,) = bot.apis.statuspage.incidents.values()
    assert f"*Status page:* `investigating` — <{public.shortlink}|{public.shortlink}>" in card
    assert "1 statement" in card


async def test_status_says_when_nothing_is_published(bot: Sandbox) -> None:
    channel = await incident_channel(bot)
    await bot.command("status", channel=channel.id)
    assert "*Status page:* nothing published" in await reply_to(bot, "alice", "Status page")


async def test_resolving_offers_a_button_that_asks_for_the_resolved_statement(
    bot: Sandbox,
) -> None:
    channel = await published(bot)
    await bot.command("resolve Rolled back to v2.3.0", channel=channel)
    offer = await message_in(bot, channel, "The status page still shows this incident")
    message = next(m for m in bot.slack.messages(channel) if m.text == offer)
    assert "Rolled back to v2.3.0" in message.text  # the resolution notice itself carries it
    assert [b["text"]["text"] for b in buttons(message)] == ["Resolve on the status page"]

    result = await bot.sender.click("carol", channel, message.ts, "statuspage.resolve")
    assert result.status == 200
    await bot.slack.wait_for(lambda s: len(cards(s, channel)) == 2)
    await bot.settle()
    card = cards(bot.slack, channel)[-1]
    assert "*Status:* `resolved`" in card.text
    assert "This incident has been resolved." in card.text
    await click(bot, "bob", card)

    (public,) = bot.apis.statuspage.incidents.values()
    assert public.status == "resolved"
    assert bot.apis.statuspage.components["8kbf7d35c070"] == "operational"
    assert bot.apis.requests("statuspage")[-1].method == "PATCH"


async def test_resolving_without_an_open_public_incident_offers_nothing(bot: Sandbox) -> None:
    channel = await incident_channel(bot)
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.settle()
    assert not [t for t in texts(bot.slack, channel.id) if "status page still shows" in t]


async def test_the_postmortem_lists_every_statement_under_communication_not_as_mitigation(
    bot: Sandbox,
) -> None:
    channel = await published(bot)
    card = await request(
        bot,
        next(c for c in bot.slack.channels.values() if c.id == channel),
        "statuspage monitoring A fix is out; we are watching.",
    )
    await click(bot, "carol", card)
    await message_in(bot, channel, "Updated on the status page")
    await bot.command("resolve Rolled back", channel=channel)

    document = await shared_postmortem(bot)
    assert "| Time to mitigation | — |" in section(document, "## Key times")
    communication = section(document, "## Communication")
    rows = [line for line in communication.splitlines() if line.startswith("| 09:30")]
    assert len(rows) == 2
    (public,) = bot.apis.statuspage.incidents.values()
    assert "| Investigating | " + OPENING in rows[0]
    assert "checkout: major_outage" in rows[0]
    assert "| bob |" in rows[0]
    assert f"published [{public.shortlink}]({public.shortlink})" in rows[0]
    assert "| Monitoring | A fix is out; we are watching. |" in rows[1]
    assert "| carol |" in rows[1]


async def test_a_drill_publishes_nothing_and_says_what_it_would_have(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    async with bot.services.pool.acquire() as conn:
        await conn.execute("UPDATE incidents SET drill = true")
        (incident,) = await incidents.list_open(conn)
        assert incident.is_drill
    card = await request(bot, channel, f"statuspage investigating checkout=major {OPENING}")
    assert "*DRILL* (nothing is published)" in card.text
    await click(bot, "bob", card)

    said = await message_in(bot, channel.id, "Drill: nothing was published.")
    assert "would have opened the public incident *Checkout errors* as `investigating`" in said
    assert "8kbf7d35c070 → `major_outage`" in said
    assert OPENING in said
    assert bot.apis.received == []
    assert "not sent (drill)" in cards(bot.slack, channel.id)[-1].text
    async with bot.services.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM outbox WHERE method LIKE 'statuspage%'") == 0
        )
