"""An export whose request reached GitHub or Jira but whose answer was lost (the connection
reset after the issue was made) is looked for before it is sent again: one issue, and the
follow-up keeps that issue's link."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Policy
from bot.demo.apis import OtherApis
from bot.demo.apis.github import TOKEN as GITHUB_TOKEN
from bot.demo.apis.jira import TOKEN as JIRA_TOKEN
from bot.demo.apis.jira import USER as JIRA_USER
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.followups.helpers import current, recorded, rows
from tests.integration.helpers import deliver_retries

ENVIRON = {"GITHUB_TOKEN": GITHUB_TOKEN, "JIRA_USER": JIRA_USER, "JIRA_API_TOKEN": JIRA_TOKEN}


async def exporting_to(
    migrated: str, clock: FakeClock, apis: OtherApis, export: dict[str, Any]
) -> AsyncIterator[Sandbox]:
    policy = Policy.model_validate({"followups": {"export": export}})
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, apis=apis, environ=ENVIRON
    ) as running:
        yield running


@pytest.fixture
async def to_github(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> AsyncIterator[Sandbox]:
    """The bot opening a GitHub issue (and only that) for each new follow-up."""
    export = {"github": {"repo": "acme/incidents", "api_url": apis.url("github")}}
    async for running in exporting_to(migrated, clock, apis, export):
        yield running


@pytest.fixture
async def to_jira(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> AsyncIterator[Sandbox]:
    """The bot opening a Jira issue (and only that) for each new follow-up."""
    export = {"jira": {"url": apis.url("jira"), "project": "OPS"}}
    async for running in exporting_to(migrated, clock, apis, export):
        yield running


def calls(apis: OtherApis, system: str) -> list[tuple[str, int]]:
    return [(r.method, r.status) for r in apis.received if r.system == system]


async def test_a_github_issue_whose_answer_was_lost_is_found_not_opened_twice(
    to_github: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool
) -> None:
    channel = await to_github.declare()
    apis.github.lose_answers = 1

    message = await recorded(to_github, channel, "followup Add a canary stage")
    await deliver_retries(to_github, clock)

    (issue,) = apis.github.issues["acme/incidents"]
    assert issue["title"] == "Add a canary stage"
    assert [m for m, _ in calls(apis, "github")] == ["POST", "GET"]
    (row,) = await rows(db)
    assert row["export_url"] == issue["html_url"]
    assert issue["html_url"] in current(to_github, message).text


async def test_a_github_issue_lost_twice_is_still_opened_once(
    to_github: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool
) -> None:
    """The first answer lost, and the connection dropped again while looking: the look is
    repeated, not the issue."""
    channel = await to_github.declare()
    apis.github.lose_answers = 1

    await recorded(to_github, channel, "followup Add a canary stage")
    apis.drop("github", seconds=3600)
    await deliver_retries(to_github, clock, rounds=3)
    apis.heal("github")
    await deliver_retries(to_github, clock)

    (issue,) = apis.github.issues["acme/incidents"]
    assert [m for m, s in calls(apis, "github") if s < 300] == ["GET"]
    (row,) = await rows(db)
    assert row["export_url"] == issue["html_url"]


async def test_a_github_issue_not_made_before_the_connection_dropped_is_opened(
    to_github: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool
) -> None:
    """The look finds nothing (the request never reached GitHub): the issue is opened then."""
    channel = await to_github.declare()
    apis.drop("github", seconds=3600)

    await recorded(to_github, channel, "followup Add a canary stage")
    apis.heal("github")
    await deliver_retries(to_github, clock)

    (issue,) = apis.github.issues["acme/incidents"]
    assert [m for m, s in calls(apis, "github") if s < 300] == ["GET", "POST"]
    (row,) = await rows(db)
    assert row["export_url"] == issue["html_url"]


async def test_a_jira_issue_whose_answer_was_lost_is_found_not_created_twice(
    to_jira: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool
) -> None:
    channel = await to_jira.declare()
    apis.jira.lose_answers = 1

    message = await recorded(to_jira, channel, "followup Add a canary stage")
    await deliver_retries(to_jira, clock)

    (key,) = apis.jira.issues
    assert apis.jira.issues[key]["fields"]["summary"] == "Add a canary stage"
    assert [m for m, _ in calls(apis, "jira")] == ["POST", "GET"]
    (row,) = await rows(db)
    assert row["export_url"] == f"{apis.url('jira')}/browse/{key}"
    assert row["export_url"] in current(to_jira, message).text
