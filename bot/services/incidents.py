"""What people do to an incident: declare, update, re-grade, assign, resolve, look.

Each function is one unit of work: the database is changed in one transaction first (the
status machine deciding what is legal), then Slack is told. Handlers call exactly one of these.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from bot.config import Policy
from bot.domain import drills
from bot.domain import status as status_machine
from bot.domain.clock import Clock
from bot.domain.commands import Assign, PostUpdate, Regrade, Resolve, Role
from bot.domain.effects import NewEffect
from bot.domain.incident import Incident
from bot.domain.mrkdwn import Mrkdwn
from bot.domain.status import Status
from bot.domain.timeline import Kind
from bot.errors import UsageError
from bot.services import reminders
from bot.services.commands import usage
from bot.services.context import Invocation, claim_delivery, incident_of_channel
from bot.services.postmortems import PostmortemService
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.slack.messages import SlackMessage, with_part
from bot.store import incidents, outbox, timeline
from bot.store.db import Connection, Pool
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

MAX_NAME_ATTEMPTS = 50


class IncidentService:
    def __init__(
        self,
        pool: Pool,
        gateway: SlackGateway,
        policy: Policy,
        composer: Composer,
        clock: Clock,
        postmortems: PostmortemService,
    ) -> None:
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.compose = composer
        self.clock = clock
        self.postmortems = postmortems
        self.resolving: list[Callable[[Connection, int], Awaitable[None]]] = []
        """Told with the incident's id in the transaction that resolves it, after the
        resolution notice is recorded and before the post-mortem is written (the checklists
        posted on resolve)."""
        self.regraded: list[Callable[[Connection, Incident, str], Awaitable[None]]] = []
        """Told with the incident as re-graded and its previous severity's key, in the
        transaction that re-grades it, after the channel's notice (paging)."""
        self.resolution_parts: list[
            Callable[[Connection, Incident], Awaitable[SlackMessage | None]]
        ] = []
        """Parts other features add under the resolution notice, in its transaction (the status
        page's "Resolve on the status page")."""
        self.status_lines: list[Callable[[Connection, Incident], Awaitable[Mrkdwn | None]]] = []
        """Lines other features add to `/incident status` (the status page's public status)."""

    async def post_update(self, command: PostUpdate, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "update", now)
            target = status_machine.apply(current.status, command.status or current.status)
            incident = await incidents.record_update(conn, current.id, target, now)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.UPDATE,
                    who.user_id,
                    command.text,
                    data={
                        "number": incident.update_count,
                        "status": target.value,
                        "previous_status": current.status.value,
                        "impact": command.impact,
                        "next_steps": command.next_steps,
                    },
                ),
            )
            await reminders.rearm_reminder(conn, incident, self.policy, now)
            message = self.compose.update(
                incident,
                text=command.text,
                impact=command.impact,
                next_steps=command.next_steps,
                author=who.user_id,
                previous_status=current.status,
                posted_at=now,
            )
            number = incident.update_count
            await self._deliver(
                conn,
                effects.post(
                    incident.channel_id,
                    message,
                    about=f"post Update #{number}",
                    incident_id=incident.id,
                    notify=_notify(who, f"Update #{number}"),
                ),
                *([self._topic(incident)] if target is not current.status else []),
            )
        return incident

    async def regrade(self, command: Regrade, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "severity", now)
            if current.severity == command.severity.key:
                raise UsageError(
                    f"The incident is already {command.severity.label}.", usage("severity")
                )
            incident = await incidents.set_severity(conn, current.id, command.severity.key)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.SEVERITY_CHANGED,
                    who.user_id,
                    f"Severity {current.severity} → {incident.severity}",
                    data={"from": current.severity, "to": incident.severity},
                ),
            )
            await reminders.arm(conn, incident, self.policy, now)
            await self._deliver(
                conn,
                effects.post(
                    incident.channel_id,
                    self.compose.severity_changed(
                        incident, previous=current.severity, author=who.user_id
                    ),
                    about="announce the severity change",
                    incident_id=incident.id,
                    notify=_notify(who, "severity change"),
                ),
                self._topic(incident),
            )
            for listener in self.regraded:
                await listener(conn, incident, current.severity)
        return incident

    async def assign(self, command: Assign, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "assign", now)
            previous = current.holder(command.role)
            if previous == command.user_id:
                raise UsageError(
                    f"<@{command.user_id}> is already {command.role.label}.", usage("assign")
                )
            incident = await incidents.assign(conn, current.id, command.role, command.user_id)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.ROLE_ASSIGNED,
                    who.user_id,
                    f"{command.role.label}: {command.user_id}",
                    data={
                        "role": command.role.value,
                        "user": command.user_id,
                        "previous": previous,
                    },
                ),
            )
            await self._deliver(
                conn,
                effects.invite(
                    incident.channel_id,
                    [command.user_id],
                    about=f"invite the {command.role.label.lower()}",
                    incident_id=incident.id,
                ),
                effects.post(
                    incident.channel_id,
                    self.compose.role_assigned(
                        role=command.role,
                        user=command.user_id,
                        previous=previous,
                        author=who.user_id,
                    ),
                    about="announce the role",
                    incident_id=incident.id,
                    notify=_notify(who, "role change"),
                ),
                *([self._topic(incident)] if command.role is Role.COMMANDER else []),
            )
        return incident

    async def resolve(self, command: Resolve, who: Invocation) -> Incident:
        """Resolve, announce, and share the post-mortem, in one transaction: the document's
        names are looked up first, so that nothing slow happens while the incident is locked."""
        async with self.pool.acquire() as conn:
            found = await incident_of_channel(
                conn, who.channel_id, "resolve", usage=usage("resolve")
            )
        names = await self.postmortems.prepare(found, who.user_id)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "resolve", now)
            status_machine.apply(current.status, Status.RESOLVED)
            incident = await incidents.resolve(conn, current.id, command.resolution, now)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.RESOLVED,
                    who.user_id,
                    command.resolution,
                    data={
                        "previous_status": current.status.value,
                        "duration_seconds": int(incident.age(now).total_seconds()),
                    },
                ),
            )
            await reminders.cancel(conn, incident)
            announce = drills.announce_channel(
                incident.is_drill, self.policy.announce_channel, self.policy.drill_channel
            )
            notice = self.compose.resolution(incident, author=who.user_id)
            for part in self.resolution_parts:
                notice = with_part(notice, await part(conn, incident))
            await self._deliver(
                conn,
                effects.post(
                    incident.channel_id,
                    notice,
                    about="post the resolution",
                    incident_id=incident.id,
                    notify=_notify(who, "resolution"),
                ),
                self._topic(incident),
                effects.post(
                    announce,
                    self.compose.announce_resolved(incident),
                    about=f"announce the resolution in #{announce}",
                    incident_id=incident.id,
                ),
            )
            for listener in self.resolving:
                await listener(conn, incident.id)
            if incident.is_drill:
                await self.postmortems.report_drill(conn, incident)
            # The post-mortem follows the notice in the channel: its share is recorded after it.
            await self.postmortems.publish(conn, incident, names, who.notify)
        log.info("incident_resolved", duration_seconds=int(incident.age(now).total_seconds()))
        return incident

    def _topic(self, incident: Incident) -> NewEffect:
        return effects.set_topic(
            incident.channel_id, self.compose.topic(incident), incident_id=incident.id
        )

    async def _deliver(self, conn: Connection, *new: NewEffect) -> None:
        """Record effects in the caller's transaction; every dispatcher is woken on commit."""
        for effect in new:
            await outbox.record(conn, effect, now=self.clock())

    async def status_card(self, who: Invocation) -> SlackMessage:
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "status", usage=usage("status")
            )
            waiting = await outbox.waiting(conn, incident_id=incident.id)
            lines = [await line(conn, incident) for line in self.status_lines]
        extra = [line for line in lines if line is not None]
        return self.compose.status_card(incident, self.clock(), waiting, extra)

    async def list_open(self) -> SlackMessage:
        async with self.pool.acquire() as conn:
            found = await incidents.list_open(conn)
        return self.compose.incident_list(found, self.clock())


def _notify(who: Invocation, what: str) -> dict[str, str] | None:
    """Tell `who` if their `what` waits for Slack, or is refused."""
    return {**who.notify, "what": what} if who.notify else None


async def _open_incident(conn: Connection, who: Invocation, name: str, now: datetime) -> Incident:
    """The open incident of the channel `who` typed in, locked for this transaction, with the
    delivery claimed in it (see `claim_delivery`)."""
    await claim_delivery(conn, who, now)
    return await incident_of_channel(
        conn, who.channel_id, name, usage=usage(name), open_only=True, lock=True
    )
