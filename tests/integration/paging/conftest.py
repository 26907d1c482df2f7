"""Fixtures for paging: the PagerDuty stand-in on loopback and the bot's policy pointing at it."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Policy
from bot.demo.apis import OtherApis
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock

ON_CALL_KEY = "R0ONCALL0000000000000000000000AA"
PAYMENTS_KEY = "R0PAYMENTS000000000000000000000B"
"""Routing keys: 32 characters, as PagerDuty's integration keys are."""
ENVIRON = {"PAGERDUTY_ROUTING_KEY": ON_CALL_KEY, "PAGERDUTY_PAYMENTS_KEY": PAYMENTS_KEY}


def paging_policy(apis: OtherApis, **paging: Any) -> Policy:
    return Policy.model_validate(
        {
            "paging": {
                "events_url": f"{apis.url('pagerduty')}/v2/enqueue",
                "routing_key_env": "PAGERDUTY_ROUTING_KEY",
                "page_on": ["sev1", "sev2"],
                "services": {"payments": {"routing_key_env": "PAGERDUTY_PAYMENTS_KEY"}},
                **paging,
            }
        }
    )


@pytest.fixture
async def apis(clock: FakeClock) -> AsyncIterator[OtherApis]:
    """The other systems' stand-ins, their faults timed by the test's clock."""
    async with OtherApis(monotonic=lambda: clock().timestamp()) as started:
        started.pagerduty.routing_keys = {ON_CALL_KEY, PAYMENTS_KEY}
        yield started


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock, apis: OtherApis) -> AsyncIterator[Sandbox]:
    """The bot paging through the stand-in, both routing keys set."""
    async with sandbox(
        database_url=migrated,
        clock=clock,
        policy=paging_policy(apis),
        environ=ENVIRON,
        apis=apis,
    ) as running:
        yield running
