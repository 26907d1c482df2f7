"""A public statement: its card, its approval by someone else, and what Statuspage receives."""

import asyncio

import pytest

from bot.demo.apis.statuspage import DEMO_KEY
from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.approvals.helpers import (
    buttons,
    cards,
    click,
    incident_channel,
    request,
    settled,
    status_of,
)
from tests.integration.helpers import message_in, reply_to, texts
from tests.integration.statuspage.conftest import CHECKOUT_ID

WORDS = "Some card payments fail at checkout. We are investigating & will update in 30 minutes."


def sent(bot: Sandbox, method: str | None = None) -> list[dict[str, object]]:
    """The `incident` objects Statuspage accepted, in order (of one HTTP method if given)."""
    return [
        r.body["incident"]
        for r in bot.apis.requests("statuspage")
        if method in (None, r.method) and r.method != "GET"
    ]


async def test_the_card_shows_the_exact_public_words_and_nothing_is_sent_yet(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating checkout=major_outage {WORDS}")

    assert f"```{WORDS.replace('&', '&amp;')}```" in card.text
    assert "*Status:* `investigating`" in card.text
    assert "checkout → `major_outage`" in card.text
    assert "*Public incident:* Checkout errors" in card.text
    assert "not the requester" in card.text
    assert [b["text"]["text"] for b in buttons(card)] == ["Approve", "Deny"]
    confirm = buttons(card)[0]["confirm"]
    assert (confirm["title"]["text"], confirm["confirm"]["text"]) == (
        "Publish on the status page?",
        "Approve and publish",
    )
    assert "customers read them" in confirm["text"]["text"]
    assert bot.apis.received == []


async def test_the_requester_cannot_approve_their_own_statement(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")

    await click(bot, "alice", card)

    assert "someone else has to approve it" in await reply_to(bot, "alice", "approve")
    assert (await status_of(bot)).value == "pending"
    assert bot.apis.received == []


async def test_two_approvers_at_once_open_one_public_incident_and_the_channel_gets_its_link(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_channel(bot, "bob", "carol")
    card = await request(bot, channel, f"statuspage investigating checkout=major_outage {WORDS}")

    await asyncio.gather(
        *(
            bot.sender.click(person, channel.id, card.ts, "approval.approve")
            for person in ("bob", "carol")
        )
    )
    await settled(bot.services)

    assert sent(bot) == [
        {
            "name": "Checkout errors",
            "status": "investigating",
            "body": WORDS,
            "components": {CHECKOUT_ID: "major_outage"},
            "component_ids": [CHECKOUT_ID],
        }
    ]
    (public,) = bot.apis.statuspage.incidents.values()
    assert bot.apis.statuspage.components[CHECKOUT_ID] == "major_outage"
    shown = await message_in(bot, channel.id, "Published on the status page")
    assert public.shortlink in shown
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT public_id, shortlink, approved_by FROM status_statements")
    assert row["public_id"] == public.id
    assert len(row["approved_by"]) == 1


async def test_a_later_statement_updates_the_same_public_incident(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    first = await request(bot, channel, f"statuspage investigating checkout=major_outage {WORDS}")
    await click(bot, "bob", first)
    second = await request(
        bot, channel, "statuspage identified checkout=degraded A fix is rolling out."
    )
    await click(bot, "bob", second)

    (public,) = bot.apis.statuspage.incidents.values()
    patch = bot.apis.requests("statuspage")[-1]
    assert (patch.method, patch.path.rsplit("/", 1)[-1]) == ("PATCH", public.id)
    assert patch.body["incident"] == {
        "status": "identified",
        "body": "A fix is rolling out.",
        "components": {CHECKOUT_ID: "degraded_performance"},
        "component_ids": [CHECKOUT_ID],
    }
    assert public.status == "identified"
    assert [u["body"] for u in public.updates] == ["A fix is rolling out.", WORDS]
    assert "Updated on the status page" in await message_in(bot, channel.id, "Updated on")


async def test_a_denied_statement_publishes_nothing(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "bob", card, "deny")

    assert (await status_of(bot)).value == "denied"
    assert "nothing was published" in cards(bot.slack, channel.id)[-1].text
    assert bot.apis.received == []


async def test_the_api_key_is_never_in_a_row_a_card_a_message_or_a_log(
    bot: Sandbox, db: Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "bob", card)

    (post,) = bot.apis.requests("statuspage")
    assert post.headers["Authorization"] == f"OAuth {DEMO_KEY}"
    async with db.acquire() as conn:
        rows = await conn.fetch(
            """SELECT args::text AS t FROM outbox UNION ALL SELECT data::text FROM timeline_entries
               UNION ALL SELECT row_to_json(s)::text FROM status_statements s"""
        )
    assert rows
    assert not [r["t"] for r in rows if DEMO_KEY in r["t"]]
    assert not [t for t in texts(bot.slack, channel.id) if DEMO_KEY in t]
    logged = capsys.readouterr()
    assert "statement_requested" in logged.out
    assert DEMO_KEY not in logged.out + logged.err
