"""Slack down for a while: nothing asked meanwhile is lost, nothing is done twice.

The stand-in's outage runs on the test's clock, so twenty seconds of outage pass when the test
says so. Everything is asked through signed HTTP while Slack answers 503 (or drops connections);
the bot records it all, and the outbox delivers it once Slack is back.
"""

import asyncio

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import Channel, OutageMode, SlackStandIn
from bot.services.container import open_services
from tests.conftest import FakeClock
from tests.integration.helpers import deliver_retries, message_in
from tests.integration.timers import reminders_in, run_due


def _outage(bot: Sandbox, clock: FakeClock, seconds: float | None, mode: OutageMode) -> None:
    bot.slack.monotonic = lambda: clock().timestamp()
    bot.slack.outage(seconds, mode)


def _first_messages(bot: Sandbox, channel: Channel) -> list[str]:
    return [m.text for m in bot.slack.messages(channel.id) if "INCIDENT:" in m.text]


@pytest.mark.parametrize("mode", ["http_503", "refused"])
async def test_what_is_asked_during_an_outage_appears_once_after_it(
    bot: Sandbox, clock: FakeClock, mode: OutageMode
) -> None:
    first = await bot.declare("sev1 Checkout errors")
    clock.advance(minutes=15)  # its first reminder is due
    _outage(bot, clock, 20, mode)

    await run_due(bot)
    await bot.command("update Rolled back the deploy", channel=first.id)
    await bot.command("declare sev2 Search is slow")
    await bot.settle()
    assert [c.name for c in bot.slack.channels.values() if c.name.startswith("incident-")] == [
        first.name
    ]

    clock.advance(seconds=21)
    await deliver_retries(bot, clock)

    second = next(c for c in bot.slack.channels.values() if "Search" in (c.topic or ""))
    assert len(_first_messages(bot, second)) == 1
    assert second.pins
    texts = [m.text for m in bot.slack.messages(first.id)]
    assert sum(t.startswith(":bar_chart:") and "Update #1" in t for t in texts) == 1
    assert len(reminders_in(bot.slack, first.id)) == 1
    announced = [m.text for m in bot.slack.messages("incidents") if "Search is slow" in m.text]
    assert len(announced) == 1


async def test_reminders_go_on_after_an_outage(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    _outage(bot, clock, 60 * 50, "http_503")
    for _ in range(3):  # three cadences come due while Slack is away
        clock.advance(minutes=15)
        await run_due(bot)
    bot.slack.end_outage()
    await deliver_retries(bot, clock)
    assert len(reminders_in(bot.slack, channel.id)) == 1, "one overdue reminder, not three"

    clock.advance(minutes=15)
    await run_due(bot)
    assert len(reminders_in(bot.slack, channel.id)) == 2, "the cadence resumes"


async def test_the_declarer_hears_slack_is_slow_not_refused(bot: Sandbox, clock: FakeClock) -> None:
    _outage(bot, clock, 20, "http_503")
    await bot.command("declare sev1 Checkout errors")
    await bot.settle()
    clock.advance(seconds=21)
    await deliver_retries(bot, clock)

    said = [e.text for e in bot.slack.ephemerals("alice")]
    assert any("Slack is not answering" in text and "declaration is saved" in text for text in said)
    assert any("Declared *SEV-1 Critical*" in text for text in said)
    assert not any("refused" in text.lower() for text in said)


async def test_an_effect_that_gives_up_is_announced_once_slack_answers(
    migrated: str, clock: FakeClock
) -> None:
    policy = Policy.model_validate({"give_up_after": "1m"})
    async with sandbox(database_url=migrated, policy=policy, clock=clock) as bot:
        channel = await bot.declare("sev1 Checkout errors")
        _outage(bot, clock, None, "http_503")
        await bot.command("note the shard map is attached", channel=channel.id)
        await bot.settle()
        await deliver_retries(bot, clock, rounds=7)  # over a minute passes: the note is given up
        bot.slack.end_outage()
        await deliver_retries(bot, clock, rounds=2)

        report = await message_in(bot, channel.id, "Could not post the note")
        assert "service_unavailable" in report
        assert not any("shard map" in m.text for m in bot.slack.messages(channel.id))


async def test_two_replicas_deliver_each_effect_once(bot: Sandbox, clock: FakeClock) -> None:
    channels = [await bot.declare(f"sev2 Incident {n}") for n in range(3)]
    _outage(bot, clock, 20, "http_503")
    for channel in channels:
        for n in range(5):
            await bot.command(f"note step {n}", channel=channel.id)
    await bot.settle()
    clock.advance(seconds=21)
    async with open_services(bot.services.settings, bot.services.policy, clock, {}) as other:
        for _ in range(4):
            clock.advance(seconds=11)
            await asyncio.gather(bot.services.dispatcher.settle(), other.dispatcher.settle())
    for channel in channels:
        notes = [m.text for m in bot.slack.messages(channel.id) if "step" in m.text]
        assert len(notes) == 5
        assert [n for n in range(5) if any(f"step {n}" in t for t in notes)] == list(range(5))


async def test_a_call_slack_is_slow_to_answer_holds_up_only_its_own_channel(
    bot: Sandbox,
) -> None:
    held = bot.slack.hold("pins.add")
    first = await bot.command("declare sev1 Checkout errors")
    assert first.status == 200
    await bot.slack.wait_for(lambda s: s.held_calls["pins.add"] == 1)

    second = await bot.command("declare sev2 Search is slow", user="bob")
    assert second.status == 200

    def second_set_up(slack: SlackStandIn) -> bool:
        channel = slack.channel("incident-20261124-002")
        return bool(
            channel
            and channel.topic
            and slack.resolve_user("bob") in channel.members
            and any("Search is slow" in m.text for m in slack.messages("incidents"))
        )

    await bot.slack.wait_for(second_set_up, timeout=5)
    assert not any(c.pins for c in bot.slack.channels.values())

    held.set()
    await bot.settle()
    channels = [c for c in bot.slack.channels.values() if c.name.startswith("incident-")]
    assert sorted(len(c.pins) for c in channels) == [1, 1]
