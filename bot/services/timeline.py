"""Stamping what happens in an incident channel, and the commands that read or add to it.

A channel event is stamped before Slack gets its ack, in an INSERT (batched by `Stamper`) that
also claims the delivery's event id: if the database can't take it, Slack gets an error and
delivers it again, so no message is lost; if Slack delivers it again anyway, the claim makes
that change nothing. Nothing slow happens on that path — names are looked up when a document
needs them, and permalinks are derived from the message's ts when shown.

`Stamper` batches the stamps: whatever arrives while a batch is being written goes into the
next one, so under load one INSERT and one commit carry many events, and an event arriving
alone is written at once — no timer, no added wait. Each caller still waits for its own batch's
commit before Slack gets the ack, and if the write fails every caller in the batch fails with
it (Slack gets a 500 and delivers again).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from bot.domain.clock import Clock
from bot.domain.commands import AddNote, ShowTimeline
from bot.domain.incident import Incident
from bot.domain.slack_events import ChannelEvent
from bot.domain.timeline import Entry, Kind, NoteTag
from bot.services.commands import usage
from bot.services.context import Invocation, incident_of_channel
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.slack.messages import SlackMessage
from bot.store import outbox, timeline
from bot.store.db import Connection, Pool
from bot.store.timeline import Stamped

log = structlog.get_logger(__name__)

ActionItem = Callable[[Connection, Incident, int, str, str], Awaitable[None]]
"""Told, in the note's transaction, of a `note action item:` (incident, entry id, text, author):
the follow-ups record one."""


class TimelineService:
    def __init__(self, pool: Pool, gateway: SlackGateway, composer: Composer, clock: Clock) -> None:
        self.pool = pool
        self.slack = gateway
        self.compose = composer
        self.clock = clock
        self._stamper = Stamper(pool, clock)
        self.action_items: list[ActionItem] = []

    async def stamp(self, event_id: str | None, event: ChannelEvent) -> Stamped:
        """Stamp a channel event into its incident's timeline, once per Slack event id."""
        entry = event.entry
        fallback = f"{event.channel_id}:{entry.kind}:{entry.slack_ts}:{entry.at.isoformat()}"
        return await self._stamper.stamp(f"event:{event_id or fallback}", event)

    async def note(self, command: AddNote, who: Invocation) -> None:
        """Stamp a person's note (tagged for a post-mortem section or not) and show it to all."""
        now = self.clock()
        data = {"tag": command.tag.value} if command.tag else {}
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await incident_of_channel(conn, who.channel_id, "note", usage=usage("note"))
            entry_id = await timeline.append(
                conn, incident.id, Entry(now, Kind.NOTE, who.user_id, command.text, data=data)
            )
            message = self.compose.note(text=command.text, tag=command.tag, author=who.user_id)
            post = effects.post(
                incident.channel_id,
                message,
                about="post the note",
                incident_id=incident.id,
                notify={**who.notify, "what": "note"} if who.notify else None,
            )
            await outbox.record(conn, post, now=now)
            if command.tag is NoteTag.ACTION_ITEM:
                for listener in self.action_items:
                    await listener(conn, incident, entry_id, command.text, who.user_id)

    async def recent(self, command: ShowTimeline, who: Invocation) -> SlackMessage:
        """The last entries, for the person who asked."""
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "timeline", usage=usage("timeline")
            )
            shown, total = await timeline.latest(conn, incident.id, command.count)
        return self.compose.timeline(incident, shown, total, await self.slack.workspace_url())


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
