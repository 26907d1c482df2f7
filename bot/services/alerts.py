"""Alerts in: store each one and decide what it does, with every Slack effect, in one transaction.

`receive` runs before the webhook is answered: every alert is stored, and its group's row
(locked) decides whether it declares, attaches, or is offered with a Declare button. What that
means in Slack is recorded in the same transaction, as outbox effects: a declaration reserves
the incident and records its channel's creation (`DeclarationService.reserve`), an offer is a
post in the announce channel, attached alerts are shown by digests (`AlertDigests`). Nothing is
left for after the answer: a crash right after it loses nothing.

A declaration whose channel Slack refuses for good releases its groups (`release`): the next
alert of the group declares again, taking the released alerts along.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog

from bot.config import Policy
from bot.domain.alert_routes import (
    Disposition,
    GroupState,
    dispose,
    offered_severity,
    route_for,
)
from bot.domain.alerts import Alert
from bot.domain.clock import Clock
from bot.domain.commands import Declare
from bot.domain.effects import DeliveryError, Effect
from bot.domain.incident import Incident
from bot.domain.severity import SeverityLevel
from bot.domain.timeline import Kind
from bot.errors import NotAllowed, NotFound
from bot.outbox import FollowUp
from bot.services.alert_digests import DIGEST_POSTED, AlertDigests
from bot.services.context import Invocation, Reply, claim_delivery
from bot.services.declarations import DeclarationService
from bot.slack import effects
from bot.slack.alert_messages import AlertMessages
from bot.store import alert_groups, alerts, incidents, outbox, timeline
from bot.store.alert_groups import Group
from bot.store.alerts import StoredAlert
from bot.store.db import Connection, Pool
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

OFFER_POSTED = "alerts.offer_posted"


@dataclass
class Receipt:
    """What one delivery stored and decided."""

    stored: int
    declared: dict[str, int] = field(default_factory=dict)
    """group key → the incident its alert declared"""
    offered: dict[str, int] = field(default_factory=dict)
    """group key → the id of the alert offered with a Declare button"""
    attached: set[int] = field(default_factory=set)
    """incidents with new alerts to show"""


class AlertService:
    def __init__(
        self,
        pool: Pool,
        declarations: DeclarationService,
        messages: AlertMessages,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.declarations = declarations
        self.messages = messages
        self.policy = policy
        self.clock = clock
        self.digests = AlertDigests(messages, clock)
        declarations.first_posted.append(self.digests.first_message_posted)
        declarations.abandoned.append(self.release)

    def follow_ups(self) -> dict[str, FollowUp]:
        """What the outbox does when an alert's effects are delivered or refused."""
        return {
            DIGEST_POSTED: self.digests.follow_up(),
            OFFER_POSTED: FollowUp(_nothing, self._offer_refused),
        }

    async def receive(self, received: Sequence[Alert]) -> Receipt:
        """Store every alert of one delivery, decide what each does and record its effects,
        in one transaction."""
        now = self.clock()
        receipt = Receipt(stored=len(received))
        async with self.pool.acquire() as conn, conn.transaction():
            groups: dict[str, Group] = {}
            for key in sorted({alert.group_key for alert in received}):  # one lock order
                groups[key] = await alert_groups.lock(conn, key, now)
            for alert in received:
                group = groups[alert.group_key]
                groups[alert.group_key] = await self._store(conn, alert, group, receipt, now)
            for incident_id in sorted(receipt.attached):
                await self.digests.record(conn, incident_id, now)
        for key, incident_id in receipt.declared.items():
            log.info("alert_declared", group=key, incident_id=incident_id)
        return receipt

    async def _store(
        self, conn: Connection, alert: Alert, group: Group, receipt: Receipt, now: datetime
    ) -> Group:
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
            receipt.attached.add(incident_id)
        elif disposition is Disposition.DECLARE:
            stored = StoredAlert(alert_id, now, None, alert)
            incident = await self._declare(conn, group.key, stored, self._severity(alert), now)
            receipt.declared[group.key] = incident.id
            return replace(group, state=GroupState(incident.id, incident_open=True))
        elif disposition is Disposition.OFFER:
            await alert_groups.start_offer(conn, group.key, now)
            await self._record_offer(conn, alert_id, alert, now)
            receipt.offered[group.key] = alert_id
            return replace(group, state=GroupState(offered_at=now))
        return group

    def _severity(self, alert: Alert) -> SeverityLevel:
        route = route_for(alert, self.policy.alerts.routes)
        if route and route.declare:  # checked against the severities when the policy loaded
            return self.policy.severities.resolve(route.declare)
        return offered_severity(alert, self.policy.severities)

    async def declare_offered(self, alert_id: int, who: Invocation, reply: Reply) -> Incident:
        """Someone clicked an offer's Declare button: declare with that alert attached and the
        clicker in charge; they are answered through the outbox, as a declarer is."""
        del reply
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            stored = await alerts.get(conn, alert_id)
            if stored is None:
                raise NotFound(f"There is no alert {alert_id}.")
            group = await alert_groups.lock(conn, stored.alert.group_key, now)
            if group.state.incident_open and group.state.incident_id is not None:
                found = await incidents.by_id(conn, group.state.incident_id)
                name = found.channel_name if found else "another incident"
                raise NotAllowed(f"This alert is already part of the open incident #{name}.")
            severity = offered_severity(stored.alert, self.policy.severities)
            incident = await self._declare(conn, group.key, stored, severity, now, who)
        log.info("alert_declared", group=group.key, incident_id=incident.id)
        return incident

    async def _declare(
        self,
        conn: Connection,
        key: str,
        stored: StoredAlert,
        severity: SeverityLevel,
        now: datetime,
        who: Invocation | None = None,
    ) -> Incident:
        """Reserve the group's incident with `stored` in its first message, and give it what
        the group gathered since its cycle began (shown once the first message is posted)."""
        alert = stored.alert
        route = route_for(alert, self.policy.alerts.routes)
        suggest = route.suggest if route else ()
        incident = await self.declarations.reserve(
            conn,
            Declare(severity, alert.title),
            who,
            initial=lambda incident: self.messages.initial(incident, alert, suggest),
            now=now,
        )
        since = await alert_groups.settle(conn, key, incident.id, now)
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
        return incident

    async def release(self, conn: Connection, incident_id: int) -> None:
        """The incident's channel was given up: its groups declare again with their next alert,
        and its alerts go along with that declaration."""
        await alert_groups.release(conn, incident_id)
        await alerts.detach(conn, incident_id)
        log.warning("alert_groups_released", incident_id=incident_id)

    async def _record_offer(
        self, conn: Connection, alert_id: int, alert: Alert, now: datetime
    ) -> None:
        offer = effects.post(
            self.policy.announce_channel,
            self.messages.offer(alert_id, alert),
            about=f"offer the alert “{alert.title}” with a Declare button",
            then_do=OFFER_POSTED,
        )
        await outbox.record(
            conn, replace(offer, args={**offer.args, "alert_id": alert_id}), now=now
        )

    async def _offer_refused(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """The offer is given up (and reported): the group's next alert offers again."""
        stored = await alerts.get(conn, int(effect.args["alert_id"]))
        if stored is not None:
            await alert_groups.withdraw_offer(conn, stored.alert.group_key)
        log.warning("alert_offer_given_up", error=error.error)
        return False


async def _nothing(_conn: Connection, _effect: Effect, _result: effects.Result) -> None:
    """An offer's ts is not needed: its Declare button carries the alert's id."""
