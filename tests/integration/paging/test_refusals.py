"""What goes wrong with a page: an unset routing key, PagerDuty busy or down, a refused event."""

import json

import pytest
import structlog

from bot.demo.apis import OtherApis
from bot.demo.sandbox import Sandbox, sandbox
from bot.logging import configure
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import deliver_retries, message_in, reply_to, stamped, texts
from tests.integration.paging.conftest import ENVIRON, ON_CALL_KEY, PAYMENTS_KEY, paging_policy


async def test_an_unset_routing_key_refuses_page_and_lists_the_service_unavailable(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> None:
    environ = {"PAGERDUTY_ROUTING_KEY": ON_CALL_KEY}  # PAGERDUTY_PAYMENTS_KEY unset
    policy = paging_policy(apis)
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, environ=environ, apis=apis
    ) as bot:
        channel = await bot.declare("sev3 Refunds are failing")
        await bot.command("page payments db is on fire", channel=channel.id)
        refusal = await reply_to(bot, "alice", "`/incident page payments` is unavailable here")
        assert "PAGERDUTY_PAYMENTS_KEY is not set" in refusal

        ack = await bot.command("actions")
        assert ack.json is not None
        listed = ack.json["text"]
        assert "*payments* — through `PAGERDUTY_PAYMENTS_KEY` · :no_entry: *unavailable:*" in listed
        assert "*on-call* — through `PAGERDUTY_ROUTING_KEY`\n" in listed
        await bot.settle()
    assert apis.pagerduty.events == []


async def test_a_paging_severity_without_its_routing_key_says_nobody_was_paged(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> None:
    async with sandbox(
        database_url=migrated, clock=clock, policy=paging_policy(apis), environ={}, apis=apis
    ) as bot:
        channel = await bot.declare("sev1 Checkout errors")
        said = await message_in(bot, channel.id, "Nobody was paged")
        assert "PAGERDUTY_ROUTING_KEY is not set" in said
    (failed,) = await stamped(db, "page_failed")
    assert (
        failed["body"] == "Could not page on-call via PagerDuty: PAGERDUTY_ROUTING_KEY is not set"
    )
    assert apis.pagerduty.events == []


@pytest.mark.parametrize(("status", "retry_after"), [(429, 5.0), (503, None)])
async def test_pagerduty_busy_or_down_for_a_while_is_paged_once_after(
    db: Pool,
    migrated: str,
    clock: FakeClock,
    apis: OtherApis,
    status: int,
    retry_after: float | None,
) -> None:
    apis.fail("pagerduty", status, seconds=30, retry_after=retry_after)
    async with sandbox(
        database_url=migrated, clock=clock, policy=paging_policy(apis), environ=ENVIRON, apis=apis
    ) as bot:
        channel = await bot.declare("sev1 Checkout errors")
        await bot.settle()
        assert apis.pagerduty.events == []
        assert any(r.status == status for r in apis.received)
        clock.advance(seconds=31)
        await deliver_retries(bot, clock)
        await message_in(bot, channel.id, "Paged *on-call* via PagerDuty")
        assert not any("Could not" in t for t in texts(bot.slack, channel.id))
    assert len(apis.pagerduty.events) == 1
    assert len(apis.pagerduty.alerts) == 1
    assert len(await stamped(db, "paged")) == 1


async def test_a_refused_event_is_reported_in_the_channel_in_pagerdutys_words(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis
) -> None:
    environ = {"PAGERDUTY_ROUTING_KEY": "not-a-routing-key"}
    async with sandbox(
        database_url=migrated, clock=clock, policy=paging_policy(apis), environ=environ, apis=apis
    ) as bot:
        channel = await bot.declare("sev1 Checkout errors")
        report = await message_in(bot, channel.id, "Could not page on-call via PagerDuty")
    assert "PagerDuty answered `http_400`" in report
    assert "Event object is invalid" in report
    assert "Length of 'routing_key' is incorrect (should be 32 characters)" in report
    assert "not-a-routing-key" not in report
    (failed,) = await stamped(db, "page_failed")
    assert "Length of 'routing_key' is incorrect" in failed["body"]
    assert await stamped(db, "paged") == []


async def test_the_routing_key_is_in_no_outbox_row_log_line_or_message(
    db: Pool, migrated: str, clock: FakeClock, apis: OtherApis, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json", "DEBUG")
    try:
        async with sandbox(
            database_url=migrated,
            clock=clock,
            policy=paging_policy(apis),
            environ=ENVIRON,
            apis=apis,
        ) as bot:
            channel = await bot.declare("sev1 Checkout errors")
            await bot.command("page payments db is on fire", channel=channel.id)
            await bot.command("resolve Rolled back", channel=channel.id)
            await message_in(bot, channel.id, "Resolved the page of *payments*")
            await bot.settle()
            shown = json.dumps(
                [m.blocks for m in bot.slack.messages(channel.id)]
                + texts(bot.slack, channel.id)
                + texts(bot.slack, "incidents")
            )
    finally:
        structlog.reset_defaults()
    logs = capsys.readouterr()
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT method, args::text AS args, result::text AS result FROM outbox"
        )
        entries = await conn.fetch("SELECT body, data::text AS data FROM timeline_entries")
    assert {r["method"] for r in rows} >= {"pagerduty.trigger", "pagerduty.resolve"}
    assert {e["routing_key"] for e in apis.pagerduty.events} == {ON_CALL_KEY, PAYMENTS_KEY}
    for key in (ON_CALL_KEY, PAYMENTS_KEY):
        assert not any(key in f"{r['args']} {r['result']}" for r in rows)
        assert not any(key in f"{e['body']} {e['data']}" for e in entries)
        assert key not in logs.out + logs.err
        assert key not in shown


async def test_a_page_still_waiting_when_the_incident_is_resolved_is_resolved_after_it(
    bot: Sandbox, clock: FakeClock, apis: OtherApis
) -> None:
    apis.fail("pagerduty", 503, seconds=30)
    channel = await bot.declare("sev1 Checkout errors")
    await bot.command("resolve It was a false alarm", channel=channel.id)
    await message_in(bot, channel.id, "Resolved by")
    await bot.settle()
    assert apis.pagerduty.events == []

    clock.advance(seconds=31)
    await deliver_retries(bot, clock)
    await message_in(bot, channel.id, "Resolved the page of *on-call* in PagerDuty")
    assert [e["event_action"] for e in apis.pagerduty.events] == ["trigger", "resolve"]
    (alert,) = apis.pagerduty.alerts
    assert alert.status == "resolved"
