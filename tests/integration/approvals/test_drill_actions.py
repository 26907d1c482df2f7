"""In a drill every action runs as a dry run, whatever its flag: the target is never changed."""

from bot.demo.sandbox import Sandbox
from bot.domain.approval import ApprovalStatus
from tests.integration.approvals.conftest import Target
from tests.integration.approvals.helpers import click, request, stamps, status_of

UNCHANGED = {
    "feature_name": "hybrid_progressive_capture",
    "rollout_percentage": 25,
    "emergency_stop": False,
}


async def test_a_kill_requested_in_a_drill_runs_as_a_dry_run_and_changes_nothing(
    bot: Sandbox, target: Target
) -> None:
    channel = await bot.drill("sev1 Kill switch practice")
    await bot.sender.join("bob", channel.id)
    card = await request(bot, channel, "kill hybrid_progressive_capture")
    assert card.text.startswith("[DRILL] ")
    assert "*DRY RUN* (changes nothing)" in card.text
    await click(bot, "bob", card)

    assert "*Dry run succeeded* in " in card.text
    assert "_(dry run: nothing was changed)_" in card.text
    assert await target.rollout() == UNCHANGED
    assert await status_of(bot) is ApprovalStatus.SUCCEEDED
    assert [data["dry_run"] for _, _, data in await stamps(bot)] == [True, True, True]


async def test_the_same_kill_in_a_real_incident_changes_the_row(
    bot: Sandbox, target: Target
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    card = await request(bot, channel, "kill hybrid_progressive_capture")
    assert "DRY RUN" not in card.text
    await click(bot, "bob", card)
    assert await target.rollout() != UNCHANGED
