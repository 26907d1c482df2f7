"""A public statement reads as a statement wherever people read it: `/incident timeline`, the
post-mortem's Timeline and Communication (never its actions) and the approval's thread reply."""

from bot.demo.sandbox import Sandbox
from bot.domain.keytimes import key_times
from bot.store import incidents, timeline
from bot.store.db import Pool
from tests.integration.approvals.helpers import (
    click,
    incident_channel,
    request,
    status_of,
    thread,
)
from tests.integration.helpers import message_in, reply_to, section, shared_postmortem, table_rows

WORDS = "Some card payments fail at checkout. We are investigating."


async def test_the_timeline_tells_a_statement_as_requested_approved_and_published(
    bot: Sandbox,
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating checkout=major {WORDS}")
    await click(bot, "bob", card)
    await message_in(bot, channel.id, "Published on the status page")
    await bot.command("timeline", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    alice, bob = bot.slack.resolve_user("alice"), bot.slack.resolve_user("bob")
    (public,) = bot.apis.statuspage.incidents.values()
    assert shown.splitlines()[1:] == [
        f"`09:30:00` <@{alice}> :loudspeaker: _statement requested:_ `investigating` — {WORDS}",
        f"`09:30:00` <@{bob}> :loudspeaker: _statement approved:_ `investigating`",
        "`09:30:00` incident-bot :loudspeaker: _statement published:_ `investigating` — "
        + public.shortlink,
    ]


async def test_the_approvals_reply_says_what_was_approved_for_publication_not_a_run(
    bot: Sandbox,
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "bob", card)

    (reply,) = thread(bot.slack, card)
    alice, bob = bot.slack.resolve_user("alice"), bot.slack.resolve_user("bob")
    assert reply.startswith(
        f":outbox_tray: *Approved for publication* by <@{bob}> — `investigating`"
    )
    assert f"requested by <@{alice}>" in reply
    assert "public link" in reply
    assert "Succeeded" not in reply
    assert " ms" not in reply
    assert "`statuspage`" not in reply


async def test_a_refused_click_and_a_denial_read_as_a_statements_steps(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "alice", card)
    await click(bot, "bob", card, "deny")
    assert (await status_of(bot)).value == "denied"
    await bot.command("timeline", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    alice, bob = bot.slack.resolve_user("alice"), bot.slack.resolve_user("bob")
    assert shown.splitlines()[2:] == [
        f"`09:30:00` <@{alice}> :loudspeaker: _statement approval refused:_ `investigating` — "
        "the requester may not approve their own request",
        f"`09:30:00` <@{bob}> :loudspeaker: _statement denied:_ `investigating`",
    ]


async def test_the_postmortem_tells_statements_in_its_timeline_and_not_as_actions(
    bot: Sandbox,
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating checkout=major {WORDS}")
    await click(bot, "bob", card)
    await message_in(bot, channel.id, "Published on the status page")
    await bot.command("resolve Rolled back", channel=channel.id)

    document = await shared_postmortem(bot)
    (public,) = bot.apis.statuspage.incidents.values()
    told = [row[1:] for row in table_rows(document, "## Timeline") if "📢" in row[2]]
    assert told == [
        ["alice", f"📢 _statement requested:_ `investigating` — {WORDS}"],
        ["bob", "📢 _statement approved:_ `investigating`"],
        ["incident-bot", f"📢 _statement published:_ `investigating` — {public.shortlink}"],
    ]
    assert "statuspage" not in section(document, "## Timeline")
    assert section(document, "## Actions taken") == "_No actions were requested through the bot._"
    assert "action steps 0" in section(document, "## Summary")
    assert ["Time to first action requested", "—", "—", "· no target"] in table_rows(
        document, "## Response against targets"
    )
    (statement,) = table_rows(document, "## Communication")
    assert statement[1:3] == ["Investigating", WORDS]


async def test_a_published_statement_is_no_mitigation_in_the_figures_either(
    bot: Sandbox, db: Pool
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "bob", card)
    await message_in(bot, channel.id, "Published on the status page")

    async with db.acquire() as conn:
        incident = await incidents.by_channel(conn, channel.id)
        assert incident is not None
        stored = await conn.fetchrow(
            "SELECT first_response_at, mitigated_at FROM incidents WHERE id = $1", incident.id
        )
        moments = {
            k.name: k.at for k in key_times(incident, await timeline.entries(conn, incident.id))
        }
    assert stored is not None
    assert stored["mitigated_at"] is None
    assert moments["mitigation"] is None
    assert stored["first_response_at"] == moments["first response"]


async def test_in_a_drill_the_reply_says_nothing_was_published(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    async with bot.services.pool.acquire() as conn:
        await conn.execute("UPDATE incidents SET drill = true")
    card = await request(bot, channel, f"statuspage investigating {WORDS}")
    await click(bot, "bob", card)

    (reply,) = thread(bot.slack, card)
    bob = bot.slack.resolve_user("bob")
    assert f":construction: *Not published (drill)* — `investigating` approved by <@{bob}>" in reply
    assert "nothing was sent to the status page" in reply
    assert bot.apis.received == []
