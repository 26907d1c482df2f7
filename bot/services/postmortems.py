"""The post-mortem: written from the timeline on resolve (and on request), stored, shared.

The document is stored before it is shared, so a refusal from Slack loses nothing:
`incident-bot postmortem <incident>` prints the newest stored document.
"""

from collections.abc import Sequence

from bot.config import Policy
from bot.domain.clock import Clock
from bot.domain.incident import Incident
from bot.domain.postmortem import facts, people_in
from bot.domain.timeline import Entry
from bot.errors import NotFound
from bot.services.commands import usage
from bot.services.context import Invocation, incident_of_channel
from bot.services.people import names_of
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.store import incidents, outbox, postmortems, timeline
from bot.store.db import Pool

TEMPLATE = "postmortem.md.j2"


class PostmortemService:
    def __init__(
        self, pool: Pool, gateway: SlackGateway, policy: Policy, composer: Composer, clock: Clock
    ) -> None:
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.compose = composer
        self.clock = clock

    async def publish(self, incident: Incident, notify: dict[str, str] | None = None) -> None:
        """Write the post-mortem from the timeline, store it, and share it into the channel."""
        async with self.pool.acquire() as conn:
            entries = await timeline.entries(conn, incident.id)
        markdown = await self.write(incident, entries)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await postmortems.insert(conn, incident.id, markdown, now)
            share = effects.share_file(
                incident.channel_id,
                filename=f"postmortem-{incident.channel_name}.md",
                content=markdown,
                title=f"Post-mortem: {incident.title}",
                initial_comment=self.compose.postmortem_shared(incident, len(entries)),
                about="share the post-mortem",
                incident_id=incident.id,
                notify={**notify, "what": "post-mortem"} if notify else None,
            )
            await outbox.record(conn, share, now=now)

    async def regenerate(self, who: Invocation) -> None:
        """`/incident postmortem`: write it again from the timeline as it is now."""
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "postmortem", usage=usage("postmortem")
            )
        await self.publish(incident, who.notify)

    async def document(self, reference: str) -> str:
        """The newest stored post-mortem of an incident named by its channel, else a fresh one."""
        async with self.pool.acquire() as conn:
            incident = await incidents.by_reference(conn, reference)
            if incident is None:
                raise NotFound(f"No incident has the channel {reference!r}.")
            stored = await postmortems.newest(conn, incident.id)
            entries = [] if stored is not None else await timeline.entries(conn, incident.id)
        return stored if stored is not None else await self.write(incident, entries)

    async def write(self, incident: Incident, entries: Sequence[Entry]) -> str:
        """The Markdown document; names come through the shared display-name cache."""
        now = self.clock()
        named = {incident.declared_by, incident.commander, incident.lead, incident.comms}
        people = people_in(entries) | {person for person in named if person}
        names = await names_of(self.pool, self.slack, people, now)
        severities = self.policy.severities
        return self.compose.templates.render(
            TEMPLATE,
            incident=incident,
            facts=facts(
                incident,
                entries,
                names,
                severities,
                self.policy.tz,
                now,
                await self.slack.workspace_url(),
            ),
            severity=severities.get(incident.severity),
            duration=incident.age(now),
            now=now,
            zone=self.policy.timezone,
            named=lambda user: names.get(user, user) if user else "unassigned",
        )
