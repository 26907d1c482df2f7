from collections.abc import AsyncIterator

import pytest

from bot.config import Policy
from bot.demo.apis import OtherApis
from bot.demo.apis.github import TOKEN as GITHUB_TOKEN
from bot.demo.apis.jira import TOKEN as JIRA_TOKEN
from bot.demo.apis.jira import USER as JIRA_USER
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    """The bot with the default policy: follow-ups nudged weekly, no export."""
    async with sandbox(database_url=migrated, clock=clock) as running:
        yield running


@pytest.fixture
async def apis() -> AsyncIterator[OtherApis]:
    async with OtherApis() as started:
        yield started


@pytest.fixture
async def exporting(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> AsyncIterator[Sandbox]:
    """The bot opening a GitHub and a Jira issue for each new follow-up, on the stand-ins."""
    policy = Policy.model_validate(
        {
            "followups": {
                "export": {
                    "github": {"repo": "acme/incidents", "api_url": apis.url("github")},
                    "jira": {"url": apis.url("jira"), "project": "OPS"},
                }
            }
        }
    )
    environ = {"GITHUB_TOKEN": GITHUB_TOKEN, "JIRA_USER": JIRA_USER, "JIRA_API_TOKEN": JIRA_TOKEN}
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, apis=apis, environ=environ
    ) as running:
        yield running
