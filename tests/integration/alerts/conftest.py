from collections.abc import AsyncIterator

import pytest

from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.alerts.sending import POLICY, SETTINGS

DEPLOY_API = {"DEPLOY_API_URL": "http://127.0.0.1:9", "DEPLOY_API_TOKEN": "deploy-token"}
"""The suggested `rollback` is available (nothing is approved here, so nothing is called)."""


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    """The bot with alert routes (critical → sev1 + rollback button, warning+pay* → sev2,
    other warnings offered) and a webhook token, serving a fresh stand-in workspace."""
    async with sandbox(
        database_url=migrated, clock=clock, policy=POLICY, environ=DEPLOY_API, **SETTINGS
    ) as running:
        yield running
