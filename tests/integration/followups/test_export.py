"""With `followups.export`, each new follow-up opens a GitHub and a Jira issue through the
outbox: retried through outages, opened once, its link kept and shown; a refusal is reported in
the channel in the system's own words; a drill opens none."""

from bot.demo.apis import OtherApis
from bot.demo.apis.github import TOKEN
from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.followups.helpers import current, recorded, rows
from tests.integration.helpers import deliver_retries, message_in


async def test_a_new_followup_opens_a_github_and_a_jira_issue_and_shows_their_links(
    exporting: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await exporting.declare()

    message = await recorded(exporting, channel, "followup Add a canary stage")
    await exporting.settle()

    (issue,) = apis.github.issues["acme/incidents"]
    assert issue["title"] == "Add a canary stage"
    (sent,) = apis.requests("github")
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    (key,) = apis.jira.issues
    fields = apis.jira.issues[key]["fields"]
    assert (fields["project"], fields["summary"], fields["issuetype"]) == (
        {"key": "OPS"},
        "Add a canary stage",
        {"name": "Task"},
    )
    assert fields["description"]["type"] == "doc"
    (row,) = await rows(db)
    assert row["export_url"] in (issue["html_url"], f"{apis.url('jira')}/browse/{key}")
    assert row["export_url"] in current(exporting, message).text


async def test_a_503_is_retried_and_the_issue_opened_once(
    exporting: Sandbox, apis: OtherApis, clock: FakeClock, db: Pool
) -> None:
    channel = await exporting.declare()
    apis.fail("github", 503, seconds=3600)

    await recorded(exporting, channel, "followup Add a canary stage")
    await exporting.settle()
    assert apis.github.issues == {}
    apis.heal("github")
    await deliver_retries(exporting, clock)

    assert [i["title"] for i in apis.github.issues["acme/incidents"]] == ["Add a canary stage"]
    assert next(r.status for r in apis.received if r.system == "github") == 503
    (row,) = await rows(db)
    assert row["export_url"] is not None


async def test_a_422_is_reported_in_the_channel_with_githubs_words(
    exporting: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await exporting.declare()
    apis.fail(
        "github",
        422,
        seconds=3600,
        body={
            "message": "Validation Failed",
            "errors": ["Issues are disabled for this repository"],
        },
    )

    await recorded(exporting, channel, "followup Add a canary stage")
    await exporting.settle()

    said = await message_in(exporting, channel.id, "Validation Failed")
    assert "GitHub" in said
    assert "Issues are disabled for this repository" in said
    assert apis.github.issues == {}


async def test_a_drill_opens_no_issue_and_says_where_it_would_have(
    exporting: Sandbox, apis: OtherApis
) -> None:
    channel = await exporting.drill()

    message = await recorded(exporting, channel, "followup Practise the rollback faster")
    await exporting.settle()

    assert apis.received == []
    assert "no GitHub issue opened (it would have gone to acme/incidents)" in message.text


async def test_jira_through_a_429_then_a_503_opens_one_issue(
    exporting: Sandbox, apis: OtherApis, clock: FakeClock
) -> None:
    channel = await exporting.declare()
    apis.fail("jira", 429, seconds=3600, retry_after=30)

    await recorded(exporting, channel, "followup Add a canary stage")
    await exporting.settle()
    apis.fail("jira", 503, seconds=3600)
    await deliver_retries(exporting, clock, rounds=4)
    apis.heal("jira")
    await deliver_retries(exporting, clock)

    assert [i["fields"]["summary"] for i in apis.jira.issues.values()] == ["Add a canary stage"]
    assert {r.status for r in apis.received if r.system == "jira"} == {429, 503, 201}
