"""Alerts in: store and decide in one transaction, answer the sender, then do the Slack work.

`receive` runs before the webhook is answered: every alert is stored, and its group's row
(locked) decides whether it declares, attaches, waits for a declaration under way, or is
offered with a Declare button. The Slack work comes after, from `follow_ups`: declarations,
offers and digests.

Alerts attached to an open incident are posted as digests (`AlertDigests`): thread replies under
its first message, one poster per incident at a time (a lease in PostgreSQL, taken over if it
lapses), paced to Slack's message rate per channel, so a storm becomes a few replies.
"""

import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import structlog

from bot.config import Policy
from bot.domain.alert_routes import (
    DECLARING_LEASE,
    Disposition,
    GroupState,
    dispose,
    offered_severity,
    route_for,
)
from bot.domain.alerts import Alert
from bot.domain.clock import Clock
from bot.domain.commands import Declare
from bot.domain.incident import Incident
from bot.domain.severity import SeverityLevel
from bot.domain.timeline import Kind
from bot.errors import NotAllowed, NotFound
from bot.services.context import Invocation, Reply
from bot.services.incidents import IncidentService
from bot.slack.alert_messages import AlertMessages
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.pace import ChannelPace
from bot.store import alert_groups, alert_posting, alerts, incidents, timeline
from bot.store.alert_groups import Group
from bot.store.alerts import StoredAlert
from bot.store.db import Connection, Pool
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

Work = Coroutine[Any, Any, None]


@dataclass
class Receipt:
    """What one delivery stored, and the Slack work it leaves for after the answer."""

    stored: int
    declare: dict[str, int] = field(default_factory=dict)
    """group key → the id of the alert that declares the group's incident"""
    offer: dict[str, int] = field(default_factory=dict)
    """group key → the id of the alert to post with a Declare button"""
    flush: set[int] = field(default_factory=set)
    """incidents with alerts to post"""


class AlertService:
    def __init__(
        self,
        pool: Pool,
        incidents: IncidentService,
        gateway: SlackGateway,
        messages: AlertMessages,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.incidents = incidents
        self.slack = gateway
        self.messages = messages
        self.policy = policy
        self.clock = clock
        self.digests = AlertDigests(pool, gateway, messages, clock)

    async def receive(self, received: Sequence[Alert]) -> Receipt:
        """Store every alert of one delivery and decide what each does, in one transaction."""
        now = self.clock()
        receipt = Receipt(stored=len(received))
        async with self.pool.acquire() as conn, conn.transaction():
            groups: dict[str, Group] = {}
            for key in sorted({alert.group_key for alert in received}):  # one lock order
                groups[key] = await alert_groups.lock(conn, key, now)
            for alert in received:
                groups[alert.group_key] = await self._store(conn, alert, groups, receipt)
        return receipt

    async def _store(
        self, conn: Connection, alert: Alert, groups: dict[str, Group], receipt: Receipt
    ) -> Group:
        now = self.clock()
        group = groups[alert.group_key]
        by_fingerprint = None
        if not group.state.incident_open:
            by_fingerprint = await alerts.open_incident_of_fingerprint(conn, alert.fingerprint)
        disposition, incident_id = dispose(
            alert.status,
            route_for(alert, self.policy.alerts.routes),
            group.state,
            fingerprint_incident=by_fingerprint,
            now=now,
        )
        repeat = incident_id is not None and await alerts.is_repeat(conn, incident_id, alert)
        alert_id = await alerts.insert(
            conn, alert, received_at=now, incident_id=incident_id, posted_at=now if repeat else None
        )
        log.info("alert_stored", alert_id=alert_id, disposition=disposition.value, repeat=repeat)
        if disposition is Disposition.ATTACH and incident_id is not None and not repeat:
            receipt.flush.add(incident_id)
        elif disposition is Disposition.DECLARE:
            await alert_groups.start_declaring(conn, group.key, now)
            receipt.declare[group.key] = alert_id
            return replace(group, state=GroupState(declaring_since=now))
        elif disposition is Disposition.OFFER:
            await alert_groups.start_offer(conn, group.key, now)
            receipt.offer[group.key] = alert_id
            return replace(group, state=GroupState(offered_at=now))
        return group

    def follow_ups(self, receipt: Receipt) -> list[tuple[str, Work]]:
        """The Slack work a receipt leaves, named, for the caller to run after answering."""
        work: list[tuple[str, Work]] = [
            (f"alerts:declare:{alert_id}", self._declare_routed(key, alert_id))
            for key, alert_id in receipt.declare.items()
        ]
        work += [
            (f"alerts:offer:{alert_id}", self._offer(key, alert_id))
            for key, alert_id in receipt.offer.items()
        ]
        work += [(f"alerts:flush:{i}", self.digests.flush(i)) for i in sorted(receipt.flush)]
        return work

    async def _load(self, alert_id: int) -> StoredAlert:
        async with self.pool.acquire() as conn:
            stored = await alerts.get(conn, alert_id)
        if stored is None:
            raise NotFound(f"There is no alert {alert_id}.")
        return stored

    async def _declare_routed(self, key: str, alert_id: int) -> None:
        stored = await self._load(alert_id)
        route = route_for(stored.alert, self.policy.alerts.routes)
        if route and route.declare:  # checked against the severities when the policy loaded
            severity = self.policy.severities.resolve(route.declare)
        else:
            severity = offered_severity(stored.alert, self.policy.severities)
        await self._declare(key, stored, severity)

    async def declare_offered(self, alert_id: int, who: Invocation, reply: Reply) -> Incident:
        """Someone clicked an offer's Declare button: declare with that alert attached."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await alerts.get(conn, alert_id)
            if stored is None:
                raise NotFound(f"There is no alert {alert_id}.")
            group = await alert_groups.lock(conn, stored.alert.group_key, now)
            if group.state.incident_open and group.state.incident_id is not None:
                found = await incidents.by_id(conn, group.state.incident_id)
                name = found.channel_name if found else "another incident"
                raise NotAllowed(f"This alert is already part of the open incident #{name}.")
            since = group.state.declaring_since
            if since is not None and now - since < DECLARING_LEASE:
                raise NotAllowed("An incident for this alert is being declared right now.")
            await alert_groups.start_declaring(conn, group.key, now)
        severity = offered_severity(stored.alert, self.policy.severities)
        return await self._declare(group.key, stored, severity, who, reply)

    async def _declare(
        self,
        key: str,
        stored: StoredAlert,
        severity: SeverityLevel,
        who: Invocation | None = None,
        reply: Reply | None = None,
    ) -> Incident:
        """Declare the group's incident from `stored`, then attach what the group gathered.

        If the declaration fails the group is released, so the next alert tries again.
        """
        alert = stored.alert
        route = route_for(alert, self.policy.alerts.routes)
        suggest = route.suggest if route else ()
        try:
            incident = await self.incidents.declare(
                Declare(severity, alert.title),
                who,
                reply,
                initial=lambda incident: self.messages.initial(incident, alert, suggest),
            )
        except Exception:
            async with self.pool.acquire() as conn:
                await alert_groups.abandon(conn, key)
            raise
        await self._settle(key, stored, incident)
        await self.digests.flush(incident.id)
        return incident

    async def _settle(self, key: str, stored: StoredAlert, incident: Incident) -> None:
        """The group's incident exists: record it, with its first alert shown and what the group
        gathered meanwhile waiting to be posted."""
        alert = stored.alert
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            since = await alert_groups.settle(conn, key, incident.id)
            await alerts.attach(conn, stored.id, incident.id, posted_at=now)
            await alerts.adopt(conn, key, incident.id, since)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.ALERT_ATTACHED,
                    None,
                    f"{alert.source_name} alert {alert.status}: {alert.title}",
                    data={"alert_ids": [stored.id], "firing": int(alert.is_firing)},
                ),
            )

    async def _offer(self, key: str, alert_id: int) -> None:
        stored = await self._load(alert_id)
        try:
            await self.slack.post(
                self.policy.announce_channel, self.messages.offer(alert_id, stored.alert)
            )
        except SlackError:
            async with self.pool.acquire() as conn:
                await alert_groups.withdraw_offer(conn, key)
            raise


DIGEST_BATCH = 500
"""At most this many alerts in one digest (it lists 20 and counts the rest)."""
POSTING_LEASE = timedelta(minutes=5)
"""How long a poster may hold an incident's digests before another replica takes over; it is
renewed before every digest, so only a poster stuck this long on one message loses it."""


class AlertDigests:
    def __init__(
        self, pool: Pool, gateway: SlackGateway, messages: AlertMessages, clock: Clock
    ) -> None:
        self.pool = pool
        self.slack = gateway
        self.messages = messages
        self.clock = clock
        self.pace = ChannelPace()
        """Digests into one incident: a burst, then one a second (this replica's share)."""

    async def flush(self, incident_id: int) -> None:
        """Post the incident's un-posted alerts as digests, unless another poster is at it.

        After letting go, look again: an alert stored while the lease was being released would
        otherwise wait for the next alert to be posted.
        """
        holder = uuid.uuid4().hex
        while await self._hold(incident_id, holder):
            try:
                while await self._has_unposted(incident_id):
                    await self.pace.wait(incident_id)  # what arrives meanwhile joins this digest
                    if not await self._post_digest(incident_id, holder):
                        break
            finally:
                async with self.pool.acquire() as conn:
                    await alert_posting.release(conn, incident_id, holder)
            if not await self._has_unposted(incident_id):
                return

    async def _has_unposted(self, incident_id: int) -> bool:
        async with self.pool.acquire() as conn:
            return await alerts.has_unposted(conn, incident_id)

    async def _hold(self, incident_id: int, holder: str) -> bool:
        async with self.pool.acquire() as conn:
            return await alert_posting.take(
                conn, incident_id, holder, now=self.clock(), lease=POSTING_LEASE
            )

    async def _post_digest(self, incident_id: int, holder: str) -> bool:
        """Post one digest of un-posted alerts; False when none are left (or the lease is lost).

        At least once: a replica dying between the post and marking it leaves the alerts to be
        posted again by the next poster, never lost.
        """
        if not await self._hold(incident_id, holder):
            return False
        async with self.pool.acquire() as conn:
            batch = await alerts.unposted(conn, incident_id, DIGEST_BATCH)
            if not batch:
                return False
            incident = await incidents.by_id(conn, incident_id)
            thread = await incidents.pinned_ts(conn, incident_id)
            firing = await alerts.still_firing(conn, incident_id)
        if incident is None:  # alerts reference incidents, which are never deleted
            raise LookupError(f"incident {incident_id} vanished")
        shown = [s.alert for s in batch]
        ts = await self.slack.post(
            incident.channel_id, self.messages.digest(shown, still_firing=firing), thread_ts=thread
        )
        ids = [s.id for s in batch]
        resolved = sum(1 for a in shown if not a.is_firing)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await alerts.mark_posted(conn, ids, now)
            await timeline.append(
                conn,
                incident_id,
                Entry(
                    now,
                    Kind.ALERT_ATTACHED,
                    None,
                    f"{len(ids)} alert(s) attached ({len(ids) - resolved} firing, {resolved} resolved)",
                    slack_ts=ts,
                    data={"alert_ids": ids, "firing": len(ids) - resolved, "resolved": resolved},
                ),
            )
        return True
