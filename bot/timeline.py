"""Stamping what happens in an incident channel, and the commands that read or add to it.

A channel event is stamped before Slack gets its ack, in an INSERT (batched by `Stamper`) that
also claims the delivery's event id: if the database can't take it, Slack gets an error and
delivers it again, so no message is lost; if Slack delivers it again anyway, the claim makes
that change nothing. Nothing slow happens on that path — names are looked up when a document
needs them, and permalinks are derived from the message's ts when shown.
"""

import structlog

from bot.domain.clock import Clock
from bot.domain.commands import AddNote, ShowTimeline, usage
from bot.domain.incident import Incident
from bot.domain.slack_events import ChannelEvent
from bot.domain.timeline import Entry, Kind
from bot.errors import NotAllowed, UsageError
from bot.incidents import Invocation
from bot.slack.composer import Composer
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.messages import SlackMessage
from bot.stamper import Stamper
from bot.store import incidents, timeline
from bot.store.db import Connection, Pool
from bot.store.timeline import Stamped

log = structlog.get_logger(__name__)


async def incident_here(conn: Connection, who: Invocation, name: str) -> Incident:
    """The incident of the channel a command was typed in, open or resolved."""
    found = await incidents.by_channel(conn, who.channel_id)
    if found is None:
        raise UsageError(f"`/incident {name}` works inside an incident channel.", usage(name))
    structlog.contextvars.bind_contextvars(incident_id=found.id)
    return found


class TimelineService:
    def __init__(self, pool: Pool, gateway: SlackGateway, composer: Composer, clock: Clock) -> None:
        self.pool = pool
        self.slack = gateway
        self.compose = composer
        self.clock = clock
        self._stamper = Stamper(pool, clock)

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
            incident = await incident_here(conn, who, "note")
            await timeline.append(
                conn, incident.id, Entry(now, Kind.NOTE, who.user_id, command.text, data=data)
            )
        message = self.compose.note(text=command.text, tag=command.tag, author=who.user_id)
        try:
            await self.slack.post(incident.channel_id, message)
        except SlackError as error:
            raise NotAllowed(
                f"The note was recorded, but Slack refused to post it ({error.error})."
            ) from None

    async def recent(self, command: ShowTimeline, who: Invocation) -> SlackMessage:
        """The last entries, for the person who asked."""
        async with self.pool.acquire() as conn:
            incident = await incident_here(conn, who, "timeline")
            shown, total = await timeline.latest(conn, incident.id, command.count)
        return self.compose.timeline(incident, shown, total, await self.slack.workspace_url())
