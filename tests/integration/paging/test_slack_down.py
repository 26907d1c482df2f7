"""The page on declare does not wait for Slack: it reaches PagerDuty while Slack is down, and the
channel says so once when Slack is back; a renamed channel's page is resolved by its own key."""

from datetime import timedelta

import pytest

from bot.demo.apis import OtherApis
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import Channel, OutageMode
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import deliver_retries, message_in, stamped, texts
from tests.integration.paging.conftest import ON_CALL_KEY, paging_policy

RESERVED = "incident-20261124-001"
"""The first name of the test day, reserved at declare."""


def _outage(bot: Sandbox, clock: FakeClock, seconds: float, mode: OutageMode) -> None:
    bot.slack.monotonic = lambda: clock().timestamp()
    bot.slack.outage(seconds, mode)


def _channel(bot: Sandbox, name: str) -> Channel:
    return next(c for c in bot.slack.channels.values() if c.name == name)


def _paged_messages(bot: Sandbox, channel: Channel) -> list[str]:
    return [t for t in texts(bot.slack, channel.id) if "Paged *on-call* via PagerDuty" in t]


@pytest.mark.parametrize("mode", ["http_503", "refused"])
async def test_a_sev1_declared_while_slack_is_down_pages_at_once_and_says_so_once_after(
    bot: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool, mode: OutageMode
) -> None:
    _outage(bot, clock, 20, mode)
    await bot.command("declare sev1 Checkout errors")
    await bot.settle()

    assert not any(c.name == RESERVED for c in bot.slack.channels.values()), "Slack is down"
    (event,) = apis.pagerduty.events
    assert (event["event_action"], event["routing_key"]) == ("trigger", ON_CALL_KEY)
    assert event["dedup_key"] == RESERVED
    assert event["payload"]["summary"] == "[SEV-1] Checkout errors"
    assert event["payload"]["custom_details"]["incident"] == RESERVED
    assert "links" not in event
    assert "client_url" not in event
    assert len(await stamped(db, "paged")) == 1

    clock.advance(seconds=21)
    await deliver_retries(bot, clock)
    channel = _channel(bot, RESERVED)
    await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
    await bot.settle()
    assert len(_paged_messages(bot, channel)) == 1
    assert len(apis.pagerduty.events) == 1


async def test_a_sev1_declared_with_slack_up_links_its_channel_and_says_so_once(
    bot: Sandbox, apis: OtherApis
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
    await bot.settle()

    (event,) = apis.pagerduty.events
    link = f"https://slack.com/app_redirect?channel={channel.id}"
    assert event["links"] == [{"href": link, "text": f"Slack: #{channel.name}"}]
    assert event["client_url"] == link
    assert len(_paged_messages(bot, channel)) == 1


async def test_a_renamed_channel_resolves_the_page_by_the_key_it_was_paged_with(
    bot: Sandbox, apis: OtherApis
) -> None:
    bot.slack.add_channel(RESERVED, members=["dave"])  # made by hand: Slack says name_taken
    channel = await bot.declare("sev1 Checkout errors")
    assert channel.name == "incident-20261124-002"
    await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Resolved the page of *on-call* in PagerDuty")
    await bot.settle()

    trigger, resolve = apis.pagerduty.events
    assert (trigger["event_action"], trigger["dedup_key"]) == ("trigger", RESERVED)
    assert (resolve["event_action"], resolve["dedup_key"]) == ("resolve", RESERVED)
    (alert,) = apis.pagerduty.alerts
    assert alert.status == "resolved"


async def test_a_page_refused_before_the_channel_exists_is_reported_in_the_channel_once(
    migrated: str, clock: FakeClock, apis: OtherApis, db: Pool
) -> None:
    environ = {"PAGERDUTY_ROUTING_KEY": "not-a-routing-key"}
    async with sandbox(
        database_url=migrated, clock=clock, policy=paging_policy(apis), environ=environ, apis=apis
    ) as bot:
        _outage(bot, clock, 20, "http_503")
        await bot.command("declare sev1 Checkout errors")
        await bot.settle()
        assert len(await stamped(db, "page_failed")) == 1
        assert apis.pagerduty.events == []

        clock.advance(seconds=21)
        await deliver_retries(bot, clock)
        channel = _channel(bot, RESERVED)
        report = await message_in(bot, channel.id, "Could not page on-call via PagerDuty")
        await bot.settle()
        assert "Length of 'routing_key' is incorrect" in report
        assert "not-a-routing-key" not in report
        shown = texts(bot.slack, channel.id) + texts(bot.slack, "incidents")
        assert sum("Could not page on-call" in t for t in shown) == 1
        assert not any("Paged *on-call*" in t for t in shown)


async def test_a_page_refused_for_a_channel_never_made_is_reported_in_the_announce_channel(
    migrated: str, clock: FakeClock, apis: OtherApis
) -> None:
    policy = paging_policy(apis).model_copy(update={"give_up_after": timedelta(minutes=1)})
    environ = {"PAGERDUTY_ROUTING_KEY": "not-a-routing-key"}
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, environ=environ, apis=apis
    ) as bot:
        bot.slack.monotonic = lambda: clock().timestamp()
        bot.slack.outage(None, "http_503")
        await bot.command("declare sev1 Checkout errors")
        await deliver_retries(bot, clock, rounds=7)  # over a minute: the channel is given up
        bot.slack.end_outage()
        await deliver_retries(bot, clock, rounds=2)

        report = await message_in(bot, "incidents", "Could not page on-call via PagerDuty")
        assert "Length of 'routing_key' is incorrect" in report
        assert sum("Could not page on-call" in t for t in texts(bot.slack, "incidents")) == 1
