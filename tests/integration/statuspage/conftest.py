"""The bot with a `status_page` policy pointed at the Statuspage stand-in, on the test clock."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Policy
from bot.demo.apis import OtherApis
from bot.demo.apis.statuspage import DEMO_KEY, DEMO_PAGE
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock

CHECKOUT_ID = "8kbf7d35c070"
API_ID = "0bvq9kq0l4jm"


def status_page_policy(apis: OtherApis, **overrides: Any) -> Policy:
    section = {
        "api_url": apis.url("statuspage"),
        "page_id": DEMO_PAGE,
        "api_key_env": "STATUSPAGE_API_KEY",
        "components": {"checkout": CHECKOUT_ID, "api": API_ID},
        **overrides,
    }
    return Policy.model_validate({"status_page": section})


@pytest.fixture
async def apis(clock: FakeClock) -> AsyncIterator[OtherApis]:
    """The stand-ins, their faults timed by the test's clock (a test moves it past an outage)."""
    async with OtherApis(monotonic=lambda: clock().timestamp()) as started:
        yield started


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock, apis: OtherApis) -> AsyncIterator[Sandbox]:
    policy = status_page_policy(apis)
    environ = {"STATUSPAGE_API_KEY": DEMO_KEY}
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, environ=environ, apis=apis
    ) as running:
        yield running
