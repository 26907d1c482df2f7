from datetime import UTC, datetime

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import deliver_retries, message_in, reply_to, texts


async def test_declare_opens_the_days_channel_and_sets_it_up(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors above 10%", user="alice")

    assert channel.name == "incident-20261124-001"
    assert bot.slack.resolve_user("alice") in channel.members
    assert channel.topic.startswith("SEV-1 Critical · Investigating · IC: <@")
    pinned = [m for m in bot.slack.messages(channel.id) if m.ts in channel.pins]
    assert len(pinned) == 1
    initial = pinned[0].text
    for expected in (
        "INCIDENT: [SEV-1 Critical]* Checkout errors above 10%",
        "*Status:* Investigating",
        "*Impact:*",
        "*Started:* 2026-11-24 09:30 UTC",
        "every 15m — next due 09:45 UTC",
        "Incident commander: <@",
    ):
        assert expected in initial
    header = pinned[0].blocks[0]
    assert (header["type"], header["text"]["text"]) == ("header", "Checkout errors above 10%")
    announce = await message_in(bot, "incidents", "SEV-1 Critical")
    assert f"<#{channel.id}>" in announce
    reply = await reply_to(bot, "alice", "Declared")
    assert f"<#{channel.id}>" in reply

    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM incidents")
        kinds = await conn.fetch("SELECT kind, actor FROM timeline_entries ORDER BY id")
    assert (row["channel_id"], row["severity"], row["status"], row["commander"]) == (
        channel.id,
        "sev1",
        "investigating",
        bot.slack.resolve_user("alice"),
    )
    assert [(k["kind"], k["actor"]) for k in kinds] == [
        ("declared", bot.slack.resolve_user("alice"))
    ]


async def test_the_next_declaration_that_day_takes_the_next_number(bot: Sandbox) -> None:
    first = await bot.declare("sev2 Search is slow")
    second = await bot.declare("p0 Payments down", user="bob")
    assert (first.name, second.name) == ("incident-20261124-001", "incident-20261124-002")


async def test_a_taken_name_moves_on_to_the_next_number(bot: Sandbox) -> None:
    bot.slack.add_channel("incident-20261124-001", members=["dave"])
    bot.slack.add_channel("incident-20261124-002", members=["dave"], archived=True)
    channel = await bot.declare("sev3 Flaky exports")
    assert channel.name == "incident-20261124-003"


async def test_the_day_is_the_policy_time_zones_day(db: Pool, migrated: str) -> None:
    late_evening_utc = FakeClock(datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    async with sandbox(
        database_url=migrated, clock=late_evening_utc, policy=Policy(timezone="Asia/Tokyo")
    ) as bot:
        channel = await bot.declare("sev2 Tokyo morning")
        assert channel.name == "incident-20261125-001"
        pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
        assert "*Started:* 2026-11-25 08:30 JST" in pinned.text


async def test_a_duplicate_delivery_creates_one_incident(bot: Sandbox, db: Pool) -> None:
    first = await bot.sender.slash(
        "declare sev1 Checkout errors", user="alice", channel="incidents"
    )
    await bot.sender.slash(
        "declare sev1 Checkout errors",
        user="alice",
        channel="incidents",
        trigger_id=first.trigger_id,
    )
    await message_in(bot, "incidents", "Checkout errors")
    await bot.command("list")
    await reply_to(bot, "alice", "Open incidents")
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 1
    assert [c.name for c in bot.slack.channels.values() if c.name.startswith("incident-")] == [
        "incident-20261124-001"
    ]


async def test_user_text_is_shown_as_typed_never_as_a_ping_or_link(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 <!channel> & <@U0BOSS> <https://evil.example|click>")
    posted = texts(bot.slack, channel.id) + texts(bot.slack, "incidents") + [channel.topic]
    for text in posted:
        assert "<!channel>" not in text
        assert "<@U0BOSS>" not in text
        assert "<https://evil.example" not in text
    assert any(
        "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt;" in t
        for t in posted
    )


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        (
            "declare sev9 Checkout",
            "`sev9` is not a severity",
            "/incident declare &lt;severity&gt; &lt;title…&gt;",
        ),
        ("declare sev1", "Missing title", "/incident declare"),
        ("declare sev1 " + "x" * 151, "151 characters; the limit is 150", "/incident declare"),
        ("decalre sev1 Checkout", "`decalre` is not an /incident command", "/incident help"),
    ],
)
async def test_bad_input_is_answered_ephemerally_and_creates_nothing(
    bot: Sandbox, db: Pool, text: str, problem: str, usage: str
) -> None:
    ack = await bot.command(text)
    assert ack.status == 200
    assert ack.json is not None
    assert problem in ack.json["text"]
    assert f"Usage: `{usage}" in ack.json["text"]
    assert ack.json.get("response_type", "ephemeral") == "ephemeral"
    await bot.command("list")
    await reply_to(bot, "alice", "No open incidents")
    assert not [c for c in bot.slack.channels.values() if c.name.startswith("incident-")]
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 0


async def test_a_burst_of_rate_limits_loses_nothing(bot: Sandbox, clock: FakeClock) -> None:
    for method in (
        "conversations.create",
        "chat.postMessage",
        "pins.add",
        "conversations.setTopic",
    ):
        bot.slack.inject(method, "ratelimited", retry_after=0, times=2)
    await bot.command("declare sev1 Under load")
    await deliver_retries(bot, clock)
    (channel,) = [c for c in bot.slack.channels.values() if c.name.startswith("incident-")]
    assert channel.topic
    assert channel.pins
    assert [m.text for m in bot.slack.messages("incidents")][-1].startswith(":rotating_light:")
    limited = [c for c in bot.slack.calls if c.status == 429]
    assert len(limited) == 8


async def test_a_first_message_slack_failed_is_posted_later_in_the_channel_already_made(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    bot.slack.inject("chat.postMessage", "internal_error", status=500, times=1)
    await bot.command("declare sev1 Checkout errors")
    await deliver_retries(bot, clock)

    (channel,) = [c for c in bot.slack.channels.values() if c.name.startswith("incident-")]
    first = [m for m in bot.slack.messages(channel.id) if "INCIDENT:" in m.text]
    assert len(first) == 1
    assert channel.pins == [first[0].ts]
    assert len([c for c in bot.slack.calls if c.method == "conversations.create"]) == 1
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT channel_id, pinned_ts FROM incidents")
    assert (row["channel_id"], row["pinned_ts"]) == (channel.id, first[0].ts)


async def test_a_first_message_whose_answer_was_lost_is_not_posted_twice(
    bot: Sandbox, clock: FakeClock
) -> None:
    cut: list[str] = []

    def lose_the_first_posts_answer(method: str, moment: str) -> bool:
        if (method, moment) != ("chat.postMessage", "after") or cut:
            return False
        cut.append(method)
        return True

    bot.slack.interrupt = lose_the_first_posts_answer
    await bot.command("declare sev1 Checkout errors")
    await deliver_retries(bot, clock)

    (channel,) = [c for c in bot.slack.channels.values() if c.name.startswith("incident-")]
    first = [m for m in bot.slack.messages(channel.id) if "INCIDENT:" in m.text]
    assert cut
    assert len(first) == 1
    assert channel.pins == [first[0].ts]


async def test_a_step_slack_refuses_is_reported_to_the_declarer(bot: Sandbox) -> None:
    bot.slack.inject("conversations.setTopic", "too_long", times=1)
    await bot.command("declare sev2 Topic trouble")
    reply = await reply_to(bot, "alice", "Could not set the topic")
    assert "`too_long`" in reply


async def test_a_badly_signed_request_is_refused(bot: Sandbox, db: Pool) -> None:
    ack = await bot.sender.slash(
        "declare sev1 Forged", user="alice", channel="incidents", bad_signature=True
    )
    assert ack.status == 401
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 0
