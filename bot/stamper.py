"""Stamping channel events in batches; each is acknowledged only once its batch is committed.

Slack delivers a busy channel's events concurrently. Written one statement each, every event
costs a round trip and a commit; here whatever arrives while a batch is being written goes into
the next one, so under load one INSERT and one commit carry many events, and an event arriving
alone is written at once — no timer, no added wait. Each caller still waits for its own batch's
commit before Slack gets the ack, so nothing acknowledged can be lost, and if the write fails
every caller in the batch fails with it (Slack gets a 500 and delivers again).
"""

import asyncio
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.slack_events import ChannelEvent
from bot.store import timeline
from bot.store.db import Pool
from bot.store.timeline import Stamped

MAX_BATCH = 500


@dataclass(frozen=True)
class _Waiting:
    key: str
    event: ChannelEvent
    outcome: "asyncio.Future[Stamped]"


class Stamper:
    def __init__(self, pool: Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def stamp(self, key: str, event: ChannelEvent) -> Stamped:
        """Stamp `event` under its delivery `key`, returning once its batch is committed."""
        outcome: asyncio.Future[Stamped] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(key, event, outcome))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="timeline-stamper")
        return await outcome

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Waiting]) -> None:
        """One statement for the batch; a key delivered twice within it is one stamp."""
        first = {w.key: w for w in reversed(batch)}
        events = {key: (w.event.channel_id, w.event.entry) for key, w in first.items()}
        try:
            async with self._pool.acquire() as conn:
                outcomes = await timeline.stamp_channel_events(conn, events, self._clock())
        except Exception as error:  # handed to every caller: each answers Slack with an error
            for waiting in batch:
                _settle(waiting.outcome, error=error)
            return
        for waiting in batch:
            is_first = first[waiting.key] is waiting
            _settle(waiting.outcome, outcomes[waiting.key] if is_first else Stamped.DUPLICATE)


def _settle(
    outcome: "asyncio.Future[Stamped]",
    result: Stamped | None = None,
    error: Exception | None = None,
) -> None:
    if outcome.done():  # the request gave up waiting (client gone); nothing to tell
        return
    if error is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(result or Stamped.DUPLICATE)
