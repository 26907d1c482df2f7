"""A declaration whose bot process is killed (SIGKILL) mid-way is whole after a restart, once.

The bot runs as a process of its own; the stand-in kills it just before or just after a given
Slack call is applied (the call then goes unanswered, as it would). A second process on the same
database finishes the declaration: one channel, its first message posted and pinned once, the
topic set, the announcement made once.
"""

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from bench.harness import free_port, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.store.db import Pool

INCIDENT = "sev1 Checkout errors"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        standin.add_user("alice")
        standin.add_channel("incidents", members=["alice", "incident-bot"])
        yield standin


def _whole(slack: SlackStandIn) -> bool:
    channels = [c for c in slack.channels.values() if c.name.startswith("incident-")]
    return (
        len(channels) == 1
        and bool(channels[0].pins)
        and bool(channels[0].topic)
        and any(INCIDENT.split(" ", 1)[1] in m.text for m in slack.messages("incidents"))
    )


async def _all_delivered(db: Pool) -> None:
    """Wait for the restarted bot (another process) to settle every effect."""
    while True:
        async with db.acquire() as conn:
            if not await conn.fetchval("SELECT count(*) FROM outbox WHERE state <> 'done'"):
                return
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("method", "moment"),
    [
        ("conversations.create", "before"),
        ("conversations.create", "after"),
        ("chat.postMessage", "before"),
        ("chat.postMessage", "after"),
        ("pins.add", "before"),
        ("conversations.setTopic", "after"),
    ],
)
async def test_a_declaration_killed_mid_way_is_whole_after_a_restart(
    slack: SlackStandIn, migrated: str, db: Pool, method: str, moment: str
) -> None:
    port = free_port()
    bot = await serve_bot(slack, migrated, port)
    killed = asyncio.Event()

    def kill_there(called: str, when: str) -> bool:
        if killed.is_set() or (called, when) != (method, moment):
            return False
        os.kill(bot.pid, signal.SIGKILL)
        killed.set()
        return True

    slack.interrupt = kill_there
    await SlackSender(slack).slash(f"declare {INCIDENT}", user="alice", channel="incidents")
    await asyncio.wait_for(killed.wait(), timeout=15)
    await bot.wait()

    again = await serve_bot(slack, migrated, port)
    try:
        await slack.wait_for(_whole, timeout=15)
        await slack.wait_for(lambda s: bool(s.ephemerals("alice")), timeout=15)
        await asyncio.wait_for(_all_delivered(db), timeout=15)
    finally:
        again.terminate()
        await again.wait()

    (channel,) = [c for c in slack.channels.values() if c.name.startswith("incident-")]
    first = [m for m in slack.messages(channel.id) if "INCIDENT:" in m.text]
    announced = [m for m in slack.messages("incidents") if "Checkout errors" in m.text]
    assert (len(first), len(announced), len(channel.pins)) == (1, 1, 1)
    assert channel.pins == [first[0].ts]
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT channel_id, channel_name FROM incidents")
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 1
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE state <> 'done'") == 0
    assert row is not None
    assert (row["channel_id"], row["channel_name"]) == (channel.id, channel.name)
