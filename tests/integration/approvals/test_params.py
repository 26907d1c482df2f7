import pytest

from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import Target, policy_with
from tests.integration.approvals.helpers import cards, click, incident_channel, request
from tests.integration.helpers import reply_to


async def requests_made(db: Pool) -> int:
    async with db.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM approval_requests"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("kill api; drop table x", "`kill` takes at most 1 parameter(s)."),
        ("kill 'hybrid_progressive_capture'", "`feature` must match ^[a-z0-9_]+$."),
        ("rollback ../admin", "`service` must be one of api, web, worker."),
        ("kill colour=red", "`colour` is not a parameter of `kill`."),
    ],
)
async def test_bad_params_are_refused_and_nothing_is_posted(
    bot: Sandbox, db: Pool, target: Target, text: str, problem: str
) -> None:
    channel = await incident_channel(bot)
    await bot.command(text, channel=channel.id)
    refusal = await reply_to(bot, "alice", problem)
    assert "Usage: `/incident " in refusal
    assert cards(bot.slack, channel.id) == []
    assert await requests_made(db) == 0


async def test_key_value_params_bind_by_name_and_reach_sql_typed(
    bot: Sandbox, target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "partial-rollback percentage=5")
    assert "feature=`hybrid_progressive_capture`, percentage=`5`" in card.text
    await click(bot, "bob", card)
    assert (await target.rollout())["rollout_percentage"] == 5


async def test_a_quote_through_a_loose_pattern_is_only_ever_a_value(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], target: Target
) -> None:
    loose = {
        "title": "Stop one feature",
        "kind": "sql",
        "database": "rollout",
        "statement": "UPDATE rollout_configuration SET emergency_stop = true WHERE feature_name = $1",
        "params": [{"name": "feature"}],
    }
    policy = policy_with({"stop": loose})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob")
        card = await request(box, channel, "stop x';DROP_TABLE_rollout_configuration;--")
        assert "$1 = 'x'';DROP_TABLE_rollout_configuration;--'" in card.text
        await click(box, "bob", card)
        assert "UPDATE 0" in card.text
    assert (await target.rollout())["emergency_stop"] is False


async def test_an_action_outside_an_incident_channel_is_refused(
    bot: Sandbox, db: Pool, target: Target
) -> None:
    await bot.command("kill", channel="incidents")
    assert "works inside an incident channel" in await reply_to(bot, "alice", "kill")
    assert await requests_made(db) == 0


async def test_an_action_without_its_dsn_is_refused_saying_which_variable(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    async with sandbox(database_url=migrated, clock=clock, environ={}) as box:
        channel = await incident_channel(box)
        await box.command("kill", channel=channel.id)
        refusal = await reply_to(box, "alice", "unavailable")
    assert "`kill` is unavailable here: ROLLOUT_DATABASE_URL is not set." in refusal
    assert await requests_made(db) == 0


async def test_actions_lists_the_catalog_with_params_approvers_and_availability(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    environ = {"ROLLOUT_DATABASE_URL": "postgresql://unused"}
    async with sandbox(database_url=migrated, clock=clock, environ=environ) as box:
        await box.command("actions", channel="incidents")
        listing = await reply_to(box, "alice", "*Actions*")
    assert "*kill* — Emergency stop (kill switch) (database `rollout`)" in listing
    assert "`/incident kill [feature] [--dry-run]`" in listing
    assert "• feature: matching ^[a-z0-9_]+$, default hybrid_progressive_capture" in listing
    assert "Approvers: any channel member other than the requester · 1 approval" in listing
    assert (
        "*rollback* — Roll back a deployment (deploy API) · :no_entry: *unavailable:* " in listing
    )
    assert "DEPLOY_API_TOKEN, DEPLOY_API_URL are not set" in listing
