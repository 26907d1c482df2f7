"""An action that `requires` a checklist: its card shows the progress, Approve waits for it."""

from collections.abc import AsyncIterator

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.approval import ApprovalStatus
from bot.domain.runbook_actions import DEFAULT_ACTIONS
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import Target
from tests.integration.approvals.helpers import click, incident_channel, request, stamps, status_of
from tests.integration.checklists.conftest import PRE_ROLLBACK
from tests.integration.checklists.helpers import header, posted, tick
from tests.integration.helpers import reply_to


@pytest.fixture
async def bot(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str]
) -> AsyncIterator[Sandbox]:
    """The shipped actions, `kill` requiring runbook 001's pre-rollback checklist."""
    policy = Policy.model_validate(
        {
            "actions": {
                **DEFAULT_ACTIONS,
                "kill": {**DEFAULT_ACTIONS["kill"], "requires": ["pre-rollback"]},
            },
            "checklists": {
                "pre-rollback": {"title": "Pre-Rollback Checklist", "items": list(PRE_ROLLBACK[:3])}
            },
        }
    )
    async with sandbox(database_url=migrated, clock=clock, environ=environ, policy=policy) as box:
        yield box


async def test_approve_waits_until_the_required_checklist_is_complete(
    bot: Sandbox, target: Target
) -> None:
    channel = await incident_channel(bot, "bob", "carol")
    card = await request(bot, channel, "kill")
    checklist = await posted(bot, channel, "Pre-Rollback Checklist")
    assert "`pre-rollback` Pre-Rollback Checklist — *0/3*" in card.text
    assert "Approve waits until every item is ticked" in card.text

    await tick(bot, "carol", checklist, "Emergency backup created")
    assert "— *1/3*" in card.text
    await click(bot, "bob", card)

    refused = await reply_to(bot, "bob", "needs its checklists complete")
    assert "*1/3*: Rollback target identified; Impact assessed" in refused
    assert await status_of(bot) is ApprovalStatus.PENDING
    assert (await target.rollout())["emergency_stop"] is False
    kind, actor, data = (await stamps(bot))[-1]
    assert (kind, actor) == ("action_refused", bot.slack.resolve_user("bob"))
    assert data["reason"] == "checklist_incomplete"
    assert data["missing"] == {"pre-rollback": ["Rollback target identified", "Impact assessed"]}

    await tick(bot, "carol", checklist, "Rollback target identified")
    await tick(bot, "carol", checklist, "Impact assessed")
    assert header(checklist) == "Pre-Rollback Checklist — 3/3"
    await click(bot, "bob", card)

    assert await status_of(bot) is ApprovalStatus.SUCCEEDED
    assert (await target.rollout())["emergency_stop"] is True
    assert [k for k, _, _ in await stamps(bot)].count("action_executed") == 1
    assert card.text.startswith(":white_check_mark: *Succeeded:* `kill`")
