"""A kind of request limited to a few slots: a burst runs a few at a time, and all of it runs."""

import asyncio
from typing import Any

from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.services.background import Background
from bot.store.db import Pool
from tests.conftest import FakeClock


class Gate:
    """A handler that holds every request until released, counting how many run at once."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.running = 0
        self.most = 0
        self.ran: list[int] = []

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.open.wait()
            self.ran.append(int(payload["n"]))
        finally:
            self.running -= 1


async def test_a_limited_kind_runs_at_most_its_share_and_every_request_runs(
    db: Pool, clock: FakeClock
) -> None:
    background = Background()
    inbox = Inbox(db, clock, background, Metrics(), concurrency=8)
    ticks, clicks = Gate(), Gate()
    inbox.register("tick", ticks, at_most=2)
    inbox.register("click", clicks)

    for n in range(6):
        assert await inbox.receive("tick", f"tick:{n}", {"n": n})
    assert await inbox.receive("click", "click:0", {"n": 0})
    await asyncio.sleep(0)  # let the started runs begin

    assert ticks.running == 2  # the other four wait in the table, not in memory
    assert clicks.running == 1  # the limit leaves the other slots to other kinds
    async with db.acquire() as conn:
        waiting = await conn.fetchval("SELECT count(*) FROM inbox WHERE state = 'pending'")
    assert waiting == 4

    ticks.open.set()
    clicks.open.set()
    await background.idle()
    assert sorted(ticks.ran) == list(range(6))
    assert ticks.most == 2
    async with db.acquire() as conn:
        states = await conn.fetch("SELECT DISTINCT state FROM inbox")
    assert [row["state"] for row in states] == ["done"]
