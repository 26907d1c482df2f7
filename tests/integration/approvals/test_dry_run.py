from bot.demo.sandbox import Sandbox
from bot.domain.approval import ApprovalStatus
from tests.integration.approvals.conftest import Target
from tests.integration.approvals.helpers import click, incident_channel, request, stamps, status_of


async def test_a_dry_run_kill_reports_what_it_would_change_and_changes_nothing(
    bot: Sandbox, target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill --dry-run")
    assert "*DRY RUN* (changes nothing)" in card.text
    await click(bot, "bob", card)

    assert "*Dry run succeeded* in " in card.text
    assert "UPDATE 1 _(dry run: nothing was changed)_" in card.text
    assert "*Verify* (inside the rolled-back transaction):" in card.text
    assert "rollout_percentage=0, emergency_stop=true" in card.text
    assert await target.rollout() == {
        "feature_name": "hybrid_progressive_capture",
        "rollout_percentage": 25,
        "emergency_stop": False,
    }
    assert await status_of(bot) is ApprovalStatus.SUCCEEDED
    assert all(data["dry_run"] is True for _, _, data in await stamps(bot))


async def test_pausing_ingestion_calls_the_runbook_function(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "pause-ingestion")
    assert "SELECT scout.control_ingestion('pause')" in card.text
    await click(bot, "bob", card)
    assert "control_ingestion=paused" in card.text
    assert await target.ingestion() == "paused"
