"""Statuspage slow, down or refusing: statements wait in order, go out once, refusals are told."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.demo.apis import OtherApis
from bot.demo.apis.statuspage import DEMO_KEY
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.approvals.helpers import click, incident_channel, request
from tests.integration.helpers import message_in, texts
from tests.integration.statuspage.conftest import status_page_policy


async def test_statements_approved_while_statuspage_fails_go_out_once_in_order(
    bot: Sandbox, clock: FakeClock
) -> None:
    bot.apis.fail("statuspage", 503, seconds=120, body={"error": "Service Unavailable"})
    channel = await incident_channel(bot, "bob")
    first = await request(bot, channel, "statuspage investigating checkout=major Payments fail.")
    await click(bot, "bob", first)
    second = await request(bot, channel, "statuspage identified A bad deploy; rolling back.")
    await click(bot, "bob", second)
    assert bot.apis.requests("statuspage") == []
    assert [r.status for r in bot.apis.received] == [503]

    for _ in range(4):  # through the outage, one backoff at a time
        clock.advance(seconds=60)
        await bot.settle()

    accepted = bot.apis.requests("statuspage")
    assert [r.method for r in accepted] == ["POST", "PATCH"]
    (public,) = bot.apis.statuspage.incidents.values()
    assert accepted[1].path.endswith(f"/incidents/{public.id}")
    assert [u["status"] for u in public.updates] == ["identified", "investigating"]
    shown = texts(bot.slack, channel.id)
    assert sum("Published on the status page" in t for t in shown) == 1
    assert sum("Updated on the status page" in t for t in shown) == 1


async def test_a_rate_limit_is_waited_out_as_statuspage_asks(
    bot: Sandbox, clock: FakeClock
) -> None:
    bot.apis.fail("statuspage", 429, seconds=30, retry_after=30, body={"error": "Rate limited"})
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "statuspage investigating Payments fail.")
    await click(bot, "bob", card)
    clock.advance(seconds=20)
    await bot.settle()
    assert [r.status for r in bot.apis.received] == [429]
    clock.advance(seconds=15)
    await bot.settle()
    assert [r.method for r in bot.apis.requests("statuspage")] == ["POST"]


@asynccontextmanager
async def bot_with(
    migrated: str, clock: FakeClock, apis: OtherApis, key: str, components: dict[str, str]
) -> AsyncIterator[Sandbox]:
    policy = status_page_policy(apis, components=components)
    environ = {"STATUSPAGE_API_KEY": key}
    async with sandbox(
        database_url=migrated, clock=clock, policy=policy, environ=environ, apis=apis
    ) as running:
        yield running


@pytest.mark.parametrize(
    ("key", "component", "words"),
    [
        (DEMO_KEY, "nosuchid", "Components nosuchid not found on this page"),
        ("not-the-key", "8kbf7d35c070", "Could not authenticate"),
    ],
)
async def test_a_refusal_is_shown_in_the_channel_with_statuspage_s_words(
    db: Pool,
    migrated: str,
    clock: FakeClock,
    apis: OtherApis,
    key: str,
    component: str,
    words: str,
) -> None:
    async with bot_with(migrated, clock, apis, key, {"checkout": component}) as bot:
        channel = await incident_channel(bot, "bob")
        card = await request(bot, channel, "statuspage investigating checkout=major Down.")
        await click(bot, "bob", card)

        shown = await message_in(bot, channel.id, "Could not open the public incident")
        assert f"Statuspage answered `http_{422 if key == DEMO_KEY else 401}` ({words})" in shown
        assert "Published on the status page" not in " ".join(texts(bot.slack, channel.id))
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT refused FROM status_statements") == words
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM timeline_entries WHERE kind = 'statement_refused'"
            )
            == 1
        )


async def test_a_create_whose_answer_was_lost_is_found_by_name_not_made_twice(
    bot: Sandbox, clock: FakeClock
) -> None:
    bot.apis.statuspage.lose_answers = 1
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "statuspage investigating Payments fail.")
    await click(bot, "bob", card)
    clock.advance(seconds=30)
    await bot.settle()

    (public,) = bot.apis.statuspage.incidents.values()
    assert [r.method for r in bot.apis.received] == ["POST", "GET"]
    assert public.shortlink in await message_in(bot, channel.id, "Published on the status page")
