"""The post-mortem: written from the timeline on resolve (and on request), stored, shared.

The document is stored before it is shared, so a refusal from Slack loses nothing:
`incident-bot postmortem <incident>` prints the newest stored document.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Policy
from bot.domain.checklists import Checklist
from bot.domain.clock import Clock
from bot.domain.drills import ChecklistCompletion
from bot.domain.followups import Followup
from bot.domain.incident import Incident
from bot.domain.postmortem import checklist_reports, facts, people_in
from bot.domain.targets import response_against_targets
from bot.domain.timeline import Entry
from bot.errors import NotFound
from bot.services.commands import usage
from bot.services.context import Invocation, claim_delivery, incident_of_channel
from bot.services.people import names_of
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.store import checklists, followups, incidents, outbox, postmortems, timeline
from bot.store.db import Connection, Pool

TEMPLATE = "postmortem.md.j2"


@dataclass(frozen=True)
class Names:
    """Display names by user id, and the workspace's address, for one document."""

    names: dict[str, str]
    workspace_url: str | None


class PostmortemService:
    def __init__(
        self, pool: Pool, gateway: SlackGateway, policy: Policy, composer: Composer, clock: Clock
    ) -> None:
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.compose = composer
        self.clock = clock

    async def prepare(self, incident: Incident, *also: str) -> Names:
        """What writing the document needs from Slack, looked up before its transaction:
        display names (through the shared cache; ids stand in when Slack can't say) and the
        workspace's address for links. `also` names people about to join the timeline."""
        async with self.pool.acquire() as conn:
            entries = await timeline.entries(conn, incident.id)
        named = {incident.declared_by, incident.commander, incident.lead, incident.comms, *also}
        people = people_in(entries) | {person for person in named if person}
        names = await names_of(self.pool, self.slack, people, self.clock())
        return Names(names, await self.slack.workspace_url())

    async def publish(
        self, conn: Connection, incident: Incident, names: Names, notify: dict[str, str] | None
    ) -> None:
        """Write the post-mortem from the timeline as this transaction sees it, store it, and
        record its share into the channel (after whatever the transaction posted before)."""
        entries = await timeline.entries(conn, incident.id)
        posted = await checklists.of_incident(conn, incident.id)
        items = await followups.of_incident(conn, incident.id)
        markdown = self.write(incident, entries, names, posted, items)
        now = self.clock()
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

    async def report_drill(self, conn: Connection, incident: Incident) -> None:
        """A resolved drill's report in its channel: the response against the targets, and how
        far its checklists got (recorded in the caller's transaction, before the post-mortem)."""
        entries = await timeline.entries(conn, incident.id)
        now = self.clock()
        measures = response_against_targets(
            incident,
            entries,
            self.policy.severities.get(incident.severity).respond_within,
            self.policy.targets.get(incident.severity),
            now,
        )
        report = self.compose.drill_report(
            incident, measures, await self.checklist_completion(conn, incident)
        )
        post = effects.post(
            incident.channel_id, report, about="post the drill report", incident_id=incident.id
        )
        await outbox.record(conn, post, now=now)

    async def checklist_completion(
        self, conn: Connection, incident: Incident
    ) -> list[ChecklistCompletion]:
        """How far each of the incident's checklists got, for the drill report; with none, the
        report says nothing about checklists."""
        return [
            ChecklistCompletion(posted.title, posted.done, len(posted.items))
            for posted in await checklists.of_incident(conn, incident.id)
        ]

    async def regenerate(self, who: Invocation) -> None:
        """`/incident postmortem`: write it again from the timeline as it is now."""
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "postmortem", usage=usage("postmortem")
            )
        names = await self.prepare(incident)
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, self.clock())
            await self.publish(conn, incident, names, who.notify)

    async def document(self, reference: str) -> str:
        """The newest stored post-mortem of an incident named by its channel, else a fresh one."""
        async with self.pool.acquire() as conn:
            incident = await incidents.by_reference(conn, reference)
            if incident is None:
                raise NotFound(
                    f"No incident is {reference!r}: name it by its channel "
                    "(#incident-YYYYMMDD-NNN), its channel id or its number."
                )
            stored = await postmortems.newest(conn, incident.id)
        if stored is not None:
            return stored
        names = await self.prepare(incident)
        async with self.pool.acquire() as conn:
            entries = await timeline.entries(conn, incident.id)
            posted = await checklists.of_incident(conn, incident.id)
            items = await followups.of_incident(conn, incident.id)
        return self.write(incident, entries, names, posted, items)

    def write(
        self,
        incident: Incident,
        entries: Sequence[Entry],
        known: Names,
        posted: Sequence[Checklist] = (),
        items: Sequence[Followup] = (),
    ) -> str:
        """The Markdown document, from the timeline, the checklists posted, the follow-ups
        (its action items, with owner and due date) and what `prepare` looked up."""
        now = self.clock()
        names = known.names
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
                known.workspace_url,
                self.policy.targets.get(incident.severity),
            ),
            checklists=checklist_reports(posted, names),
            followups=items,
            severity=severities.get(incident.severity),
            duration=incident.age(now),
            now=now,
            zone=self.policy.timezone,
            named=lambda user: names.get(user, user) if user else "unassigned",
        )
