from collections.abc import AsyncIterator

import pytest

from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    """The bot serving a fresh stand-in workspace (alice, bob, carol, dave, #incidents)."""
    async with sandbox(database_url=migrated, clock=clock) as running:
        yield running
