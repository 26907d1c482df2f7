"""Routes decide: declare at a severity, or offer with a Declare button in the announce channel."""

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Message, SlackStandIn
from bot.store.db import Pool
from tests.integration.alerts.sending import (
    alertmanager,
    am_alert,
    incident_channel,
    incident_channels,
    send,
    settled,
)
from tests.integration.helpers import message_in, reply_to


async def offer_in(bot: Sandbox, containing: str) -> Message:
    """Wait for an offer (a message with a Declare button) in #incidents mentioning `containing`."""

    def offered(slack: SlackStandIn) -> bool:
        return any(containing in m.text for m in slack.messages("incidents"))

    await bot.slack.wait_for(offered)
    return next(m for m in bot.slack.messages("incidents") if containing in m.text)


def buttons(message: Message) -> list[dict[str, object]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


async def test_a_route_matching_by_regex_declares_at_its_severity(bot: Sandbox) -> None:
    await send(
        bot,
        "alertmanager",
        alertmanager(am_alert(severity="warning", labels={"service": "payments"})),
    )
    channel = await incident_channel(bot)
    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    assert "INCIDENT: [SEV-2 High]" in pinned.text


async def test_an_alert_no_route_declares_is_offered_with_a_declare_button(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert(severity="warning", summary="Disk 85%")))
    offer = await offer_in(bot, "Disk 85%")
    assert "*Summary:* Disk 85%" in offer.text
    (button,) = buttons(offer)
    assert (button["action_id"], button["value"]) == ("alert.declare", "1")
    await settled(bot)
    assert incident_channels(bot.slack) == []
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 0


async def test_an_alert_matching_no_route_at_all_is_offered(bot: Sandbox) -> None:
    await send(bot, "generic", {"title": "Backups are late", "severity": "info"})
    offer = await offer_in(bot, "Backups are late")
    assert [b["action_id"] for b in buttons(offer)] == ["alert.declare"]


async def test_a_flapping_warning_is_offered_once(bot: Sandbox, db: Pool) -> None:
    for _ in range(3):
        await send(bot, "generic", {"title": "Disk 85%", "severity": "warning", "fingerprint": "d"})
    await settled(bot)
    offers = [m for m in bot.slack.messages("incidents") if "Disk 85%" in m.text]
    assert len(offers) == 1
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts") == 3


async def test_clicking_declare_declares_with_the_alert_and_the_clicker_in_charge(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert(severity="warning", summary="Disk 85%")))
    offer = await offer_in(bot, "Disk 85%")
    clicked = await bot.sender.click("bob", "incidents", offer.ts, "alert.declare")
    assert clicked.status == 200

    channel = await incident_channel(bot)
    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    bob = bot.slack.resolve_user("bob")
    assert "INCIDENT: [SEV-4 Low]* Disk 85%" in pinned.text
    assert f"Incident commander: <@{bob}>" in pinned.text
    assert "*Summary:* Disk 85%" in pinned.text
    assert bob in channel.members
    await reply_to(bot, "bob", "Declared")
    await settled(bot)
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT incident_id FROM alerts WHERE id = 1") == 1


async def test_a_second_click_is_told_the_incident_already_exists(bot: Sandbox) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert(severity="warning", summary="Disk 85%")))
    offer = await offer_in(bot, "Disk 85%")
    await bot.sender.click("bob", "incidents", offer.ts, "alert.declare")
    channel = await incident_channel(bot)
    await settled(bot)

    await bot.sender.click("carol", "incidents", offer.ts, "alert.declare")
    answer = await reply_to(bot, "carol", "already part of")
    assert f"#{channel.name}" in answer
    assert len(incident_channels(bot.slack)) == 1


async def test_alerts_of_an_offered_group_come_along_when_it_is_declared(
    bot: Sandbox, db: Pool
) -> None:
    await send(bot, "alertmanager", alertmanager(am_alert("a", severity="warning")))
    offer = await offer_in(bot, "Checkout error rate")
    await send(bot, "alertmanager", alertmanager(am_alert("b", severity="warning")))
    await bot.sender.click("bob", "incidents", offer.ts, "alert.declare")
    channel = await incident_channel(bot)
    digest = await message_in(bot, channel.id, "1 alert attached")
    assert "firing · Checkout error rate above 10%" in digest
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE incident_id = 1") == 2


async def test_an_offer_slack_refused_is_reported_and_made_by_the_next_alert(
    bot: Sandbox,
) -> None:
    bot.slack.inject("chat.postMessage", "invalid_blocks")
    await send(bot, "generic", {"title": "Disk 85%", "severity": "warning", "fingerprint": "d"})
    await settled(bot)
    (report,) = [m.text for m in bot.slack.messages("incidents", include_system=False)]
    assert report.startswith(":warning: *Could not offer the alert")
    assert "`invalid_blocks`" in report

    await send(bot, "generic", {"title": "Disk 85%", "severity": "warning", "fingerprint": "d"})
    offer = await offer_in(bot, "No alert route declares")
    assert [b["action_id"] for b in buttons(offer)] == ["alert.declare"]
