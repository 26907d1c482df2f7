"""What a person is told when a statement cannot be asked for as typed: nothing is posted."""

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.helpers import cards, incident_channel, request
from tests.integration.helpers import reply_to


async def refused(bot: Sandbox, text: str, containing: str) -> str:
    channel = await incident_channel(bot, "bob")
    await bot.command(text, channel=channel.id)
    answer = await reply_to(bot, "alice", containing)
    await bot.settle()
    assert cards(bot.slack, channel.id) == []
    assert bot.apis.received == []
    return answer


async def test_an_unknown_component_is_refused_with_the_page_s_components(bot: Sandbox) -> None:
    answer = await refused(bot, "statuspage investigating payments=major_outage Down", "payments")
    assert "No component `payments` on the status page. Components: `api`, `checkout`." in answer
    assert "Usage: `/incident statuspage &lt;investigating|identified" in answer


async def test_an_unknown_component_status_is_refused_with_statuspage_s_words(bot: Sandbox) -> None:
    answer = await refused(bot, "statuspage investigating checkout=broken Down", "broken")
    assert "operational, degraded_performance, partial_outage, major_outage" in answer


async def test_an_unknown_public_status_is_refused(bot: Sandbox) -> None:
    answer = await refused(bot, "statuspage mitigating We are on it", "public status")
    assert "investigating|identified|monitoring|resolved" in answer


@pytest.mark.parametrize("text", ["statuspage monitoring", "statuspage identified checkout=major"])
async def test_a_statement_without_words_is_refused_between_opening_and_closing(
    bot: Sandbox, text: str
) -> None:
    await refused(bot, text, "Write the public message")


async def test_words_that_are_only_control_characters_are_refused(bot: Sandbox) -> None:
    await refused(bot, "statuspage monitoring \u0007\u0008", "Missing public message")


async def test_words_over_the_limit_are_refused_with_the_limit(bot: Sandbox) -> None:
    answer = await refused(bot, f"statuspage monitoring {'x' * 2600}", "limit")
    assert "The public message is 2600 characters; the limit is 2500." in answer


async def test_investigating_without_words_starts_from_the_policy_s_wording(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "statuspage investigating checkout=partial")
    wording = bot.services.policy.status_page.wording  # type: ignore[union-attr]
    assert f"```{wording}```" in card.text


async def test_a_status_out_of_order_is_a_warning_on_the_card_not_a_refusal(bot: Sandbox) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "statuspage monitoring The fix is out; we are watching.")
    assert ":warning: *Check the order:* the first statement says `monitoring`" in card.text
    assert "Approve" in str(card.blocks)


async def test_without_a_status_page_section_the_command_is_refused(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    async with sandbox(database_url=migrated, clock=clock, policy=Policy()) as bot:
        channel = await incident_channel(bot, "bob")
        await bot.command("statuspage investigating Down", channel=channel.id)
        answer = await reply_to(bot, "alice", "status_page")
        assert "the policy has no `status_page` section" in answer
        await bot.settle()
        assert cards(bot.slack, channel.id) == []
