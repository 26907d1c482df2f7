import asyncio

import asyncpg
import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.approval import ApprovalStatus
from bot.domain.runbook_actions import DEFAULT_ACTIONS
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import DeployApi, Target, policy_with
from tests.integration.approvals.helpers import (
    cards,
    incident_channel,
    replica,
    settled,
    stamps,
    status_of,
)
from tests.integration.helpers import message_in

BUMP = {
    "title": "Count one execution",
    "kind": "sql",
    "database": "rollout",
    "statement": "UPDATE executions SET n = n + 1 WHERE name = $1",
    "params": [{"name": "name", "pattern": "^c[0-9]+$"}],
}


@pytest.fixture
async def counters(target: Target) -> Target:
    conn = await asyncpg.connect(target.url)
    try:
        await conn.execute(
            """DROP TABLE IF EXISTS executions;
               CREATE TABLE executions (name text PRIMARY KEY, n integer NOT NULL DEFAULT 0);
               INSERT INTO executions (name) SELECT 'c' || i FROM generate_series(0, 19) i"""
        )
    finally:
        await conn.close()
    return target


async def test_twenty_concurrent_double_approvals_execute_twenty_times(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], counters: Target
) -> None:
    policy = policy_with({"bump": BUMP})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob", "carol")
        await asyncio.gather(*(box.command(f"bump c{i}", channel=channel.id) for i in range(20)))
        await settled(box.services)
        posted = cards(box.slack, channel.id)
        assert len(posted) == 20
        await asyncio.gather(
            *(
                box.sender.click(person, channel.id, card.ts, "approval.approve")
                for card in posted
                for person in ("bob", "carol", "bob")
            )
        )
        await settled(box.services)
        assert [kind for kind, _, _ in await stamps(box)].count("action_executed") == 20
    rows = await counters.fetch("SELECT name, n FROM executions ORDER BY name")
    assert {r["n"] for r in rows} == {1}
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT array_agg(DISTINCT status) FROM approval_requests") == [
            "succeeded"
        ]


async def test_two_replicas_on_one_database_run_an_approval_once(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], counters: Target
) -> None:
    policy = policy_with({"bump": BUMP})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob", "carol")
        await box.command("bump c7", channel=channel.id)
        await settled(box.services)
        (card,) = cards(box.slack, channel.id)
        async with replica(box, migrated, clock, environ, policy) as (other, other_services):
            await asyncio.gather(
                box.sender.click("bob", channel.id, card.ts, "approval.approve"),
                other.click("carol", channel.id, card.ts, "approval.approve"),
                other.click("bob", channel.id, card.ts, "approval.approve"),
            )
            await asyncio.gather(settled(box.services), settled(other_services))
        assert await status_of(box) is ApprovalStatus.SUCCEEDED
    assert (await counters.fetch("SELECT n FROM executions WHERE name = 'c7'"))[0]["n"] == 1


async def test_kill_can_require_two_approvals(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    policy = policy_with({"kill": {**DEFAULT_ACTIONS["kill"], "approvals_required": 2}})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob", "carol")
        await box.command("kill", channel=channel.id)
        await settled(box.services)
        (card,) = cards(box.slack, channel.id)
        for person in ("bob", "bob"):
            await box.sender.click(person, channel.id, card.ts, "approval.approve")
            await settled(box.services)
        assert "*Waiting for approval* (1 of 2) — approved so far by <@" in card.text
        assert (await target.rollout())["emergency_stop"] is False
        assert any("already approved" in e.text for e in box.slack.ephemerals("bob"))
        await box.sender.click("carol", channel.id, card.ts, "approval.approve")
        await settled(box.services)
        assert (await target.rollout())["emergency_stop"] is True
        kinds = [kind for kind, _, _ in await stamps(box)]
    assert kinds == ["action_requested", "action_approved", "action_approved", "action_executed"]


async def test_only_members_of_the_approver_group_may_approve(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    policy = policy_with(approvals={"approvers": ["S0SRE"]})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        box.slack.add_usergroup("S0SRE", ["carol"])
        channel = await incident_channel(box, "bob", "carol")
        await box.command("kill", channel=channel.id)
        await settled(box.services)
        (card,) = cards(box.slack, channel.id)
        await box.sender.click("bob", channel.id, card.ts, "approval.approve")
        await settled(box.services)
        assert any("only <!subteam^S0SRE> may" in e.text for e in box.slack.ephemerals("bob"))
        assert (await target.rollout())["emergency_stop"] is False
        await box.sender.click("carol", channel.id, card.ts, "approval.approve")
        await settled(box.services)
    assert (await target.rollout())["emergency_stop"] is True


async def test_a_request_left_running_by_a_dead_bot_is_reported_unknown_and_never_rerun(
    bot: Sandbox, db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    await bot.command("kill", channel=channel.id)
    await settled(bot.services)
    (card,) = cards(bot.slack, channel.id)
    async with db.acquire() as conn:  # approved and started, then the process died
        await conn.execute(
            "INSERT INTO approval_votes VALUES (1, $1, $2)", bot.slack.resolve_user("bob"), clock()
        )
        await conn.execute(
            "UPDATE approval_requests SET status = 'running', started_at = $1", clock()
        )
    async with replica(bot, migrated, clock, environ, Policy()) as (_, restarted):
        report = await message_in(bot, channel.id, ":warning: *Outcome unknown")
        await settled(restarted)
        await restarted.scheduler.run_due()
    assert "Verify the target by hand" in report
    assert report.startswith(":warning: *Outcome unknown:* `kill` — Emergency stop (kill switch) —")
    assert card.text.startswith(":question: *Outcome unknown:* `kill` — Emergency stop")
    assert ":question: *Outcome unknown*" in card.text
    assert await status_of(bot) is ApprovalStatus.UNKNOWN
    assert [kind for kind, _, _ in await stamps(bot)][-1] == "action_unknown"
    assert (await target.rollout())["emergency_stop"] is False


async def test_a_replica_starting_while_another_runs_an_action_leaves_it_running(
    bot: Sandbox, migrated: str, clock: FakeClock, environ: dict[str, str], deploy_api: DeployApi
) -> None:
    deploy_api.hold = asyncio.Event()
    channel = await incident_channel(bot, "bob")
    await bot.command("rollback api", channel=channel.id)
    await settled(bot.services)
    (card,) = cards(bot.slack, channel.id)
    await bot.sender.click("bob", channel.id, card.ts, "approval.approve")
    await asyncio.wait_for(deploy_api.arrived.wait(), timeout=5)
    async with replica(bot, migrated, clock, environ, Policy()) as (_, started):
        await settled(started)
        assert await status_of(bot) is ApprovalStatus.RUNNING
    deploy_api.hold.set()
    await settled(bot.services)
    assert await status_of(bot) is ApprovalStatus.SUCCEEDED
    assert not any("Outcome unknown" in m.text for m in bot.slack.messages(channel.id))
