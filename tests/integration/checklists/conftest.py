"""The bot with a policy of checklists: one posted on declare (SEV-1), one on resolve, one on
request (runbook 001's pre-rollback items), and one of 60 items."""

from collections.abc import AsyncIterator

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock

PRE_ROLLBACK = (
    "Emergency backup created",
    "Rollback target identified",
    "Impact assessed",
    "Stakeholders notified",
    "Access credentials verified",
    "Rollback scripts tested",
    "Monitoring dashboard ready",
    "Communication channels open",
    "Data loss risk evaluated",
    "Downtime impact assessed",
    "Rollback failure plan prepared",
    "Escalation path identified",
)
"""Runbook 001's Pre-Rollback Checklist."""

CHECKLISTS = {
    "sev1-response": {
        "title": "SEV-1 Response Checklist",
        "post_on": "declare",
        "severities": ["sev1"],
        "items": ["Severity assessed and confirmed", "Incident commander assigned"],
    },
    "post-recovery": {"post_on": "resolve", "items": ["Monitoring back to normal"]},
    "pre-rollback": {"title": "Pre-Rollback Checklist", "items": list(PRE_ROLLBACK)},
    "long": {"title": "Long list", "items": [f"Step {n:02d} done" for n in range(1, 61)]},
}


def checklist_policy(**extra: object) -> Policy:
    return Policy.model_validate({"checklists": CHECKLISTS, **extra})


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    async with sandbox(database_url=migrated, clock=clock, policy=checklist_policy()) as running:
        yield running
