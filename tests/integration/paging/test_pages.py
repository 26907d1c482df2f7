"""Paging the on-call through PagerDuty: on declare, on a re-grade, on request; resolved on resolve."""

from bot.demo.apis import OtherApis
from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.helpers import message_in, reply_to, stamped, texts
from tests.integration.paging.conftest import ON_CALL_KEY, PAYMENTS_KEY


async def test_a_sev1_declared_pages_the_on_call_once_with_what_happened(
    bot: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors above 10%")
    await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
    await bot.settle()

    (event,) = apis.pagerduty.events
    assert event["routing_key"] == ON_CALL_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == channel.name
    payload = event["payload"]
    assert payload["summary"] == "[SEV-1] Checkout errors above 10%"
    assert payload["severity"] == "critical"
    alice = bot.slack.resolve_user("alice")
    assert alice in payload["custom_details"]["declared_by"]
    assert event["links"] == [
        {
            "href": f"https://slack.com/app_redirect?channel={channel.id}",
            "text": f"Slack: #{channel.name}",
        }
    ]
    alert = apis.pagerduty.alert(channel.name, routing_key=ON_CALL_KEY)
    assert alert is not None
    assert alert.status == "triggered"
    (paged,) = await stamped(db, "paged")
    assert paged["body"] == "Paged on-call via PagerDuty: [SEV-1] Checkout errors above 10%"


async def test_a_sev3_declared_pages_nobody(bot: Sandbox, apis: OtherApis, db: Pool) -> None:
    channel = await bot.declare("sev3 One report of a slow page")
    await bot.settle()
    assert apis.pagerduty.events == []
    assert not any("Paged" in t for t in texts(bot.slack, channel.id))
    assert await stamped(db, "paged", "page_failed") == []


async def test_a_sev2_is_paged_as_an_error(bot: Sandbox, apis: OtherApis) -> None:
    await bot.declare("sev2 Search is slow")
    await bot.settle()
    (event,) = apis.pagerduty.events
    assert (event["payload"]["severity"], event["payload"]["summary"]) == (
        "error",
        "[SEV-2] Search is slow",
    )


async def test_a_regrade_into_a_paging_severity_pages_on_the_same_alert(
    bot: Sandbox, apis: OtherApis
) -> None:
    channel = await bot.declare("sev3 Checkout is slow")
    await bot.command("severity sev1", channel=channel.id)
    await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
    await bot.settle()
    (event,) = apis.pagerduty.events
    assert event["dedup_key"] == channel.name
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["custom_details"]["previous_severity"] == "SEV-3 Medium"

    await bot.command("severity sev2", channel=channel.id)  # paging already: nothing new
    await bot.settle()
    assert len(apis.pagerduty.events) == 1


async def test_resolving_resolves_every_page_it_sent(
    bot: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("page payments card payments fail", channel=channel.id)
    await message_in(bot, channel.id, "Paged *payments* via PagerDuty")
    await bot.command("resolve Rolled back to v2.3.0", channel=channel.id)
    await message_in(bot, channel.id, "Resolved the page of *payments* in PagerDuty")
    await message_in(bot, channel.id, "Resolved the page of *on-call* in PagerDuty")
    await bot.settle()

    resolves = [e for e in apis.pagerduty.events if e["event_action"] == "resolve"]
    assert sorted(e["routing_key"] for e in resolves) == sorted([ON_CALL_KEY, PAYMENTS_KEY])
    assert {e["dedup_key"] for e in resolves} == {channel.name}
    assert [a.status for a in apis.pagerduty.alerts] == ["resolved", "resolved"]
    assert len(await stamped(db, "page_resolved")) == 2


async def test_page_pages_a_named_service_with_the_message(
    bot: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await bot.declare("sev3 Refunds are failing")
    await bot.command("page payments db is on fire", user="bob", channel=channel.id)
    shown = await message_in(bot, channel.id, "Paged *payments* via PagerDuty")
    await bot.settle()

    (event,) = apis.pagerduty.events
    assert event["routing_key"] == PAYMENTS_KEY
    assert event["dedup_key"] == channel.name
    assert event["payload"]["summary"] == "[SEV-3] Refunds are failing: db is on fire"
    assert event["payload"]["severity"] == "warning"
    details = event["payload"]["custom_details"]
    assert details["message"] == "db is on fire"
    assert bot.slack.resolve_user("bob") in details["paged_by"]
    assert f"<@{bot.slack.resolve_user('bob')}>" in shown
    (paged,) = await stamped(db, "paged")
    assert paged["actor"] == bot.slack.resolve_user("bob")


async def test_an_unknown_service_is_refused_with_the_services_there_are(
    bot: Sandbox, apis: OtherApis
) -> None:
    channel = await bot.declare("sev3 Refunds are failing")
    await bot.command("page billing help", channel=channel.id)
    refusal = await reply_to(bot, "alice", "There is no service `billing`")
    assert "Services: on-call, payments." in refusal
    assert "Usage: `/incident page &lt;service&gt; [message…]`" in refusal
    await bot.settle()
    assert apis.pagerduty.events == []


async def test_page_outside_an_incident_channel_is_refused(bot: Sandbox, apis: OtherApis) -> None:
    await bot.command("page payments help")
    await reply_to(bot, "alice", "`/incident page` works inside an incident channel.")
    assert apis.pagerduty.events == []


async def test_help_teaches_page(bot: Sandbox) -> None:
    ack = await bot.command("help")
    assert ack.json is not None
    assert "*page* — page a team's on-call through PagerDuty" in ack.json["text"]
    assert "e.g. `/incident page payments" in ack.json["text"]
