from typing import Any

from bot.demo import runbook_targets
from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.approval import ApprovalStatus
from bot.domain.runbook_actions import DEFAULT_ACTIONS
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import Target, policy_with
from tests.integration.approvals.helpers import (
    cards,
    click,
    incident_channel,
    replica,
    request,
    settled,
    status_of,
)

SET_PERCENT = {
    "title": "Set the rollout percentage",
    "kind": "sql",
    "database": "rollout",
    "statement": "UPDATE rollout_configuration SET rollout_percentage = $1",
    "params": [{"name": "percentage", "pattern": "^[0-9]+$"}],
}


async def run_once(
    migrated: str, clock: FakeClock, environ: dict[str, str], action: dict[str, Any], text: str
) -> str:
    """Request `text` with `action` in the policy as `poke`, approve it; the card's final text."""
    policy = policy_with({"poke": action})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob")
        card = await request(box, channel, f"poke {text}")
        await click(box, "bob", card)
        assert await status_of(box) is ApprovalStatus.FAILED
        return card.text


async def test_a_failing_statement_is_reported_and_changes_nothing(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    text = await run_once(migrated, clock, environ, SET_PERCENT, "150")
    assert text.startswith(":x: *Failed:* `poke` — Set the rollout percentage")
    assert ":x: *Failed* in " in text
    assert 'violates check constraint "rollout_configuration_rollout_percentage_check"' in text
    assert (await target.rollout())["rollout_percentage"] == 25


async def test_a_statement_past_its_timeout_is_cancelled(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    slow = {**SET_PERCENT, "statement": "SELECT pg_sleep(30), $1::int", "timeout": 0.2}
    text = await run_once(migrated, clock, environ, slow, "1")
    assert "canceling statement due to statement timeout" in text


async def test_an_unreachable_target_database_fails_the_action(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    missing = {**environ, "ROLLOUT_DATABASE_URL": runbook_targets.with_database(target.url, "nope")}
    text = await run_once(migrated, clock, missing, SET_PERCENT, "5")
    assert 'database "nope" does not exist' in text


async def test_an_action_redefined_after_the_card_was_posted_is_not_run(
    bot: Sandbox, db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    await bot.command("kill", channel=channel.id)
    await settled(bot.services)
    (card,) = cards(bot.slack, channel.id)
    redefined = {**DEFAULT_ACTIONS["kill"], "statement": "DELETE FROM rollout_configuration"}
    async with replica(bot, migrated, clock, environ, policy_with({"kill": redefined})) as (
        other,
        services,
    ):
        await other.click("bob", channel.id, card.ts, "approval.approve")
        await settled(services)
    assert "not run: the action's definition changed since the card was posted" in card.text
    assert await status_of(bot) is ApprovalStatus.FAILED
    assert (await target.rollout())["emergency_stop"] is False
