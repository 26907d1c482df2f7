"""`/incident drill`: a practice incident through the real path, kept apart from real ones."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import Message, SlackStandIn
from bot.domain.drills import DRILL_BANNER
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import (
    message_in,
    reply_to,
    run_in,
    shared_postmortem,
    table_rows,
)
from tests.integration.timers import run_due

POLICY = Policy.model_validate(
    {
        "drill_channel": "drills",
        "escalation": [
            {"after": "30m", "notify": ["<!subteam^S0ENGMGRS|eng-managers>"]},
            {"after": "1h", "notify": ["U0VPENG", "<@U0CTO>"]},
        ],
        "targets": {"sev2": {"first_action": "2m", "mitigate": "30m", "resolve": "1h"}},
    }
)


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    """The bot announcing drills in #drills, with escalation steps and SEV-2 targets."""
    async with sandbox(database_url=migrated, clock=clock, policy=POLICY) as running:
        yield running


def bot_messages(slack: SlackStandIn, channel: str) -> list[Message]:
    return [m for m in slack.messages(channel, include_system=False) if m.bot_id is not None]


def is_marked(message: Message) -> bool:
    """The DRILL banner on top and `[DRILL]` in front (a shared file's comment: the prefix)."""
    if message.files:
        return message.text.startswith("[DRILL] ")
    first = message.blocks[0] if message.blocks else {}
    banner = first.get("type") == "context" and DRILL_BANNER in str(first.get("elements"))
    return banner and message.text.startswith("[DRILL] ")


async def test_drills_have_their_own_channel_names_and_daily_sequence(bot: Sandbox) -> None:
    await bot.declare("sev2 Search is slow")
    first = await bot.drill("sev2 Kill switch practice")
    await bot.declare("sev3 Exports are late")
    second = await bot.drill("sev1 Rollback practice")
    names = sorted(c.name for c in bot.slack.channels.values() if "-2026" in c.name)
    assert names == [
        "drill-20261124-001",
        "drill-20261124-002",
        "incident-20261124-001",
        "incident-20261124-002",
    ]
    assert (first.name, second.name) == ("drill-20261124-001", "drill-20261124-002")


async def test_every_bot_message_in_a_drill_channel_is_marked_drill(bot: Sandbox) -> None:
    channel = await bot.drill("sev2 Kill switch practice")
    await run_in(bot, channel, "update identified: practising the kill switch", "Update #1")
    bob = bot.slack.resolve_user("bob")
    await run_in(bot, channel, f"assign lead <@{bob}|bob>", "Technical lead")
    await run_in(bot, channel, "note lesson: the runbook link was stale", "runbook link")
    await run_in(bot, channel, "resolve Practised; all steps done", "Drill report")
    await shared_postmortem(bot)
    await bot.slack.drain()

    posted = bot_messages(bot.slack, channel.id)
    assert len(posted) >= 6
    assert [m.text[:40] for m in posted if not is_marked(m)] == []
    assert bot.slack.channel(channel.id).topic.startswith("[DRILL] ")
    assert bot.slack.files()[0].content.decode().count("**Drill**") == 1


async def test_a_real_incidents_messages_are_not_marked(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await run_in(bot, channel, "update identified: slow index", "Update #1")
    posted = bot_messages(bot.slack, channel.id)
    assert posted
    assert not any("DRILL" in m.text for m in posted)


async def test_a_drill_is_announced_marked_in_the_drill_channel_only(bot: Sandbox) -> None:
    channel = await bot.drill("sev2 Kill switch practice")
    (announcement,) = bot_messages(bot.slack, "drills")
    assert is_marked(announcement)
    assert "Drill: [SEV-2 High] Kill switch practice" in announcement.text
    assert bot_messages(bot.slack, "incidents") == []
    await run_in(bot, channel, "resolve Practised", "Drill report")
    await message_in(bot, "drills", "Resolved: Kill switch practice")
    assert bot_messages(bot.slack, "incidents") == []


async def test_the_declarer_is_told_it_is_a_drill(bot: Sandbox) -> None:
    await bot.drill("sev2 Kill switch practice")
    answer = await reply_to(bot, "alice", "Declared")
    assert "Declared a *drill*, *SEV-2 High*" in answer


async def test_a_drill_escalates_naming_its_targets_without_mentioning_them(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.drill("sev2 Kill switch practice")
    clock.advance(minutes=30)
    await run_due(bot)
    clock.advance(minutes=30)
    await run_due(bot)

    def escalations(where: str) -> list[str]:
        return [m.text for m in bot_messages(bot.slack, where) if "*Escalation*" in m.text]

    here, announced = escalations(channel.id), escalations("drills")
    assert len(here) == 2
    assert announced == here
    assert "`eng-managers` _(named, not notified: this is a drill)_" in here[0]
    assert "`U0VPENG` `U0CTO`" in here[1]
    for text in here:
        assert "<@" not in text
        assert "<!subteam" not in text
        assert text.startswith("[DRILL] ")


async def test_a_real_incident_still_mentions_its_escalation_targets(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(minutes=30)
    await run_due(bot)
    escalation = await message_in(bot, channel.id, "*Escalation*")
    assert "<!subteam^S0ENGMGRS|eng-managers>" in escalation


async def test_the_drill_report_judges_each_target_by_the_clock(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.drill("sev2 Kill switch practice")
    clock.advance(minutes=5)
    await bot.sender.post_message("alice", channel.id, "I'm on it")
    clock.advance(minutes=35)
    await run_in(bot, channel, "update mitigating: traffic drained", "Update #1")
    clock.advance(minutes=10)
    await run_in(bot, channel, "resolve Practised", "Drill report")

    report = await message_in(bot, channel.id, "Drill report")
    lines = [line for line in report.splitlines() if "Time to" in line]
    assert lines == [
        ":white_check_mark: *Time to first response:* 5m (target 1h) · *met*",
        ":hourglass: *Time to first action requested:* — (target 2m) · *not reached*",
        ":white_small_square: *Time to first action executed:* — · *no target*",
        ":x: *Time to mitigation:* 40m (target 30m) · *missed*",
        ":white_check_mark: *Time to resolution:* 50m (target 1h) · *met*",
    ]
    assert "Checklists" not in report

    document = await shared_postmortem(bot)
    assert table_rows(document, "## Response against targets") == [
        ["Time to first response", "5m", "1h", "✅ met"],
        ["Time to first action requested", "—", "2m", "⏳ not reached"],
        ["Time to first action executed", "—", "—", "· no target"],
        ["Time to mitigation", "40m", "30m", "❌ missed"],
        ["Time to resolution", "50m", "1h", "✅ met"],
    ]


async def test_a_real_incidents_postmortem_shows_the_targets_and_posts_no_drill_report(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(hours=2)
    await run_in(bot, channel, "resolve Reindexed", "Incident resolved")
    document = await shared_postmortem(bot)
    rows = table_rows(document, "## Response against targets")
    assert rows[-1] == ["Time to resolution", "2h", "1h", "❌ missed"]
    assert not any("Drill report" in m.text for m in bot.slack.messages(channel.id))


async def test_list_marks_drills_and_status_says_it_is_one(bot: Sandbox) -> None:
    real = await bot.declare("sev2 Search is slow")
    drill = await bot.drill("sev2 Kill switch practice")
    await bot.command("list")
    listed = await reply_to(bot, "alice", "Open incidents")
    (drill_line,) = [line for line in listed.splitlines() if drill.id in line]
    (real_line,) = [line for line in listed.splitlines() if real.id in line]
    assert drill_line.startswith("• `DRILL` ")
    assert "DRILL" not in real_line

    await bot.command("status", channel=drill.id)
    card = await reply_to(bot, "alice", "Next update due")
    assert "*This is a drill*" in card
    await bot.command("status", user="bob", channel=real.id)
    assert "drill" not in await reply_to(bot, "bob", "Next update due")


async def test_a_drill_is_never_counted_as_a_declared_incident(bot: Sandbox) -> None:
    await bot.drill("sev2 Kill switch practice")
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        exposition = await response.text()
    assert 'incident_bot_commands_total{outcome="ok",subcommand="drill"} 1.0' in exposition
    assert 'subcommand="declare"' not in exposition
