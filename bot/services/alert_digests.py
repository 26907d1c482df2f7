"""Alert digests: an incident's alerts shown as thread replies under its first message.

A digest is a post effect in the incident channel's lane, recorded in the transaction that marks
its alerts shown; its `alert_attached` entry is stamped when it settles, with the message's ts
(the timeline is append-only). Only one digest of an incident waits at a time: whoever finds
one waiting leaves its alerts to it, and when it is delivered its follow-up records the next
with everything that arrived meanwhile. A digest is due a second after the previous one at the
earliest (`DIGEST_PACE`), so a storm becomes about one digest a second per incident, each
carrying what piled up meanwhile, with no poster to elect and no pace kept in memory; after an
outage the waiting digest goes first and the next one gathers the rest.

Before the first message is in the channel (no `pinned_ts`) nothing is recorded: the
declaration's follow-up records the first digest once it is (`first_message_posted`).
"""

from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from bot.domain.alerts import Alert
from bot.domain.clock import Clock
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.timeline import Kind
from bot.outbox import FollowUp
from bot.slack import effects
from bot.slack.alert_messages import AlertMessages
from bot.store import alert_digests, alert_groups, alerts, incidents, outbox, timeline
from bot.store.db import Connection
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

DIGEST_POSTED = "alerts.digest_posted"
DIGEST_BATCH = 500
"""At most this many alerts in one digest (it lists 20 and counts the rest)."""
DIGEST_PACE = timedelta(seconds=1)
"""A digest follows the previous one of its incident no sooner than this: Slack takes about a
message a second per channel, and a thread filling faster than people read helps nobody."""


def coalesce_key(incident_id: int) -> str:
    return f"alert-digest:{incident_id}"


class AlertDigests:
    def __init__(self, messages: AlertMessages, clock: Clock) -> None:
        self.messages = messages
        self.clock = clock

    def follow_up(self) -> FollowUp:
        return FollowUp(self.posted, self.refused)

    async def record(self, conn: Connection, incident_id: int, now: datetime) -> bool:
        """Record the next digest of the incident's alerts not shown yet, in the caller's
        transaction, due `DIGEST_PACE` after the previous one at the earliest; False when there
        are none, the first message is not posted yet, or a digest already waits (its
        follow-up will take these alerts along)."""
        last_due = await alert_digests.take_turn(conn, incident_id)
        if await outbox.is_waiting(conn, coalesce_key(incident_id)):
            return False
        incident = await incidents.by_id(conn, incident_id)
        thread = await incidents.pinned_ts(conn, incident_id)
        if incident is None or not incident.channel_id or thread is None:
            return False
        batch = await alerts.unposted(conn, incident_id, DIGEST_BATCH)
        if not batch:
            return False
        await alerts.mark_posted(conn, [s.id for s in batch], now)
        firing = await alerts.still_firing(conn, incident_id)
        digest = self._digest(
            incident, thread, [s.id for s in batch], [s.alert for s in batch], firing
        )
        due = max(now, last_due + DIGEST_PACE) if last_due else now
        await alert_digests.set_last_due(conn, incident_id, due)
        # The turn taken above rules out another digest recorded meanwhile.
        if await outbox.record(conn, digest, now=now, due_at=due) is None:
            raise RuntimeError(f"a digest of incident {incident_id} was recorded meanwhile")
        return True

    def _digest(
        self, incident: Incident, thread: str, ids: list[int], shown: list[Alert], firing: int
    ) -> NewEffect:
        """The thread reply for `shown`, carrying the timeline stamp its follow-up appends."""
        resolved = sum(1 for a in shown if not a.is_firing)
        stamp = {
            "body": f"{len(ids)} alert(s) attached ({len(ids) - resolved} firing, {resolved} resolved)",
            "data": {"alert_ids": ids, "firing": len(ids) - resolved, "resolved": resolved},
        }
        digest = effects.post(
            incident.channel_id,
            self.messages.digest(shown, still_firing=firing),
            about=f"post {len(ids)} alert(s) in #{incident.channel_name}",
            incident_id=incident.id,
            thread_ts=thread,
            then_do=DIGEST_POSTED,
            coalesce_key=coalesce_key(incident.id),
        )
        return replace(digest, args={**digest.args, "stamp": stamp})

    async def first_message_posted(self, conn: Connection, incident_id: int) -> None:
        """The incident's first message is in its channel: the alerts gathered while it was
        being declared follow it. An incident a person declared has no alert group, so no
        alerts: one look, instead of taking a turn to find none."""
        if await alert_groups.any_for(conn, incident_id):
            await self.record(conn, incident_id, self.clock())

    async def posted(self, conn: Connection, effect: Effect, result: effects.Result) -> None:
        """A digest is in the thread: stamp its alerts with a link to it, then record the next."""
        await self._stamp(conn, effect, str(result["ts"]))
        if effect.incident_id is not None:
            await self.record(conn, effect.incident_id, self.clock())

    async def refused(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """A digest given up is reported by the outbox; its alerts are stamped all the same (they
        are the incident's), and the alerts that arrived meanwhile still get their digest."""
        log.warning("alert_digest_given_up", error=error.error, incident_id=effect.incident_id)
        await self._stamp(conn, effect, None)
        if effect.incident_id is not None:
            await self.record(conn, effect.incident_id, self.clock())
        return False

    async def _stamp(self, conn: Connection, effect: Effect, slack_ts: str | None) -> None:
        """The digest's `alert_attached` entry, stamped when it settles: the timeline is
        append-only, and only then is the message's ts known."""
        stamp = effect.args.get("stamp")
        if effect.incident_id is None or not isinstance(stamp, dict):
            return
        entry = Entry(
            self.clock(),
            Kind.ALERT_ATTACHED,
            None,
            str(stamp["body"]),
            slack_ts=slack_ts,
            data=dict(stamp["data"]),
        )
        await timeline.append(conn, effect.incident_id, entry)
