import asyncio

from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.approval import ApprovalStatus
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import DEPLOY_TOKEN, DeployApi, policy_with
from tests.integration.approvals.helpers import click, incident_channel, request, status_of, thread


async def test_a_rollback_calls_the_deploy_api_once_and_masks_the_token(
    bot: Sandbox, deploy_api: DeployApi
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "rollback api v2.3.0")
    assert "POST ${DEPLOY_API_URL}/services/api/rollback" in card.text
    assert "Authorization: Bearer ${DEPLOY_API_TOKEN}" in card.text
    assert DEPLOY_TOKEN not in card.text
    await click(bot, "bob", card)

    assert deploy_api.received == [
        {
            "method": "POST",
            "raw_path": "/services/api/rollback",
            "service": "api",
            "authorization": f"Bearer {DEPLOY_TOKEN}",
            "json": {"to_version": "v2.3.0"},
        }
    ]
    assert " ms — HTTP 202 Accepted" in card.text
    assert '{"service": "api", "version": "v2.3.0"}' in card.text
    assert DEPLOY_TOKEN not in " ".join(thread(bot.slack, card))


async def test_a_path_traversal_value_stays_one_encoded_segment(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], deploy_api: DeployApi
) -> None:
    loose = {
        "title": "Roll back any service",
        "kind": "http",
        "url": "${DEPLOY_API_URL}/services/{service}/rollback",
        "params": [{"name": "service"}],
    }
    policy = policy_with({"rollback-any": loose})
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob")
        card = await request(box, channel, "rollback-any ../admin?x=1")
        await click(box, "bob", card)
    (received,) = deploy_api.received
    assert received["raw_path"] == "/services/..%2Fadmin%3Fx%3D1/rollback"
    assert received["service"] == "../admin?x=1"


async def test_a_deploy_api_error_marks_the_action_failed(
    bot: Sandbox, deploy_api: DeployApi
) -> None:
    deploy_api.status = 500
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "rollback web")
    await click(bot, "bob", card)
    assert ":x: *Failed* in " in card.text
    assert "HTTP 500 Internal Server Error" in card.text
    assert await status_of(bot) is ApprovalStatus.FAILED


async def test_a_deploy_api_that_never_answers_leaves_the_outcome_unknown(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str], deploy_api: DeployApi
) -> None:
    rollback = policy_with().actions["rollback"].model_dump(by_alias=True)
    policy = policy_with({"rollback": {**rollback, "timeout": 0.2}})
    deploy_api.hold = asyncio.Event()
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        channel = await incident_channel(box, "bob")
        card = await request(box, channel, "rollback worker")
        await click(box, "bob", card)
        assert ":question: *Outcome unknown*" in card.text
        assert "sent, but no answer" in card.text
        assert await status_of(box) is ApprovalStatus.UNKNOWN
    assert len(deploy_api.received) == 1


async def test_a_dry_run_rollback_shows_the_request_and_sends_nothing(
    bot: Sandbox, deploy_api: DeployApi
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "rollback api --dry-run")
    assert "*DRY RUN*" in card.text
    await click(bot, "bob", card)
    assert deploy_api.received == []
    assert "*Dry run succeeded*" in card.text
    assert "not sent; this is the request it would send" in card.text
    (reply,) = thread(bot.slack, card)
    assert "POST ${DEPLOY_API_URL}/services/api/rollback" in reply


async def test_an_unreachable_deploy_api_fails_without_doubt(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str]
) -> None:
    unreachable = {**environ, "DEPLOY_API_URL": "http://127.0.0.1:9"}
    async with sandbox(database_url=migrated, clock=clock, environ=unreachable) as box:
        channel = await incident_channel(box, "bob")
        card = await request(box, channel, "rollback api")
        await click(box, "bob", card)
        assert ":x: *Failed* in " in card.text
        assert "never connected" in card.text
        assert await status_of(box) is ApprovalStatus.FAILED
