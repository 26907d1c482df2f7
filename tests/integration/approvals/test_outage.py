"""Slack down while people request and approve actions: nothing shown is lost, nothing twice.

The stand-in's outage runs on the test's clock, so Slack comes back when the clock is moved
past it (`deliver_retries`), not after real seconds.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import SlackStandIn
from bot.domain.approval import ApprovalStatus
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import DeployApi, Target
from tests.integration.approvals.helpers import (
    buttons,
    cards,
    incident_channel,
    request,
    settled,
    stamps,
    status_of,
    thread,
)
from tests.integration.helpers import deliver_retries


@pytest.fixture
async def box(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str]
) -> AsyncIterator[Sandbox]:
    """The bot, on a stand-in whose outages last for the test clock's seconds."""
    standin = SlackStandIn(now=lambda: clock().timestamp(), monotonic=lambda: clock().timestamp())
    async with sandbox(
        database_url=migrated, clock=clock, environ=environ, slack=standin
    ) as running_bot:
        await running_bot.command(
            "help"
        )  # Bolt checks the token once (auth.test), before any outage
        yield running_bot


async def test_an_outcome_reached_while_slack_is_down_is_posted_once_after_it(
    box: Sandbox, clock: FakeClock, deploy_api: DeployApi
) -> None:
    deploy_api.hold = asyncio.Event()
    channel = await incident_channel(box, "bob")
    card = await request(box, channel, "rollback api")
    await box.sender.click("bob", channel.id, card.ts, "approval.approve")
    await asyncio.wait_for(deploy_api.arrived.wait(), timeout=5)
    await box.services.dispatcher.settle()
    assert card.text.startswith(":gear: *Approved, running:* `rollback`")

    box.slack.outage(20)
    deploy_api.hold.set()
    await settled(box.services)
    assert await status_of(box) is ApprovalStatus.SUCCEEDED
    assert thread(box.slack, card) == []
    assert card.text.startswith(":gear: *Approved, running:*")

    await deliver_retries(box, clock)
    (reply,) = thread(box.slack, card)
    assert reply.startswith("`rollback` — ")
    assert " ms — HTTP 202 Accepted" in card.text
    assert card.text.startswith(":white_check_mark: *Succeeded:* `rollback`")
    assert len(deploy_api.received) == 1
    assert [kind for kind, _, _ in await stamps(box)].count("action_executed") == 1


async def test_a_card_requested_while_slack_is_down_is_posted_once_after_it(
    box: Sandbox, clock: FakeClock, target: Target
) -> None:
    channel = await incident_channel(box, "bob")
    box.slack.outage(20)
    result = await box.command("kill", channel=channel.id)
    assert result.status == 200
    await settled(box.services)
    assert cards(box.slack, channel.id) == []
    assert await status_of(box) is ApprovalStatus.PENDING

    await deliver_retries(box, clock)
    (card,) = cards(box.slack, channel.id)
    assert card.text.startswith(":rotating_light: *Approval needed:* `kill`")
    assert [b["text"]["text"] for b in buttons(card)] == ["Approve", "Deny"]
    told = [e.text for e in box.slack.ephemerals("alice")]
    assert any("your request for `kill` is saved" in text for text in told)


async def test_a_card_that_lands_after_its_request_expired_shows_it_expired(
    box: Sandbox, clock: FakeClock, target: Target
) -> None:
    channel = await incident_channel(box, "bob")
    box.slack.outage(20)
    await box.command("kill", channel=channel.id)
    await settled(box.services)
    clock.advance(minutes=16)
    await box.services.scheduler.run_due()
    assert await status_of(box) is ApprovalStatus.EXPIRED

    await deliver_retries(box, clock)
    (card,) = cards(box.slack, channel.id)
    assert card.text.startswith(":hourglass: *Expired:* `kill`")
    assert buttons(card) == []
    assert (await target.rollout())["emergency_stop"] is False
