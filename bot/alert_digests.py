"""Alerts attached to an open incident, posted as digests: thread replies under its first message.

One poster per incident at a time (a lease in PostgreSQL, taken over if it lapses), paced to
Slack's message rate per channel: while it waits its turn, whatever arrives joins the next
digest. A storm becomes a few replies, each listing what is new, instead of one per alert.
"""

import uuid
from datetime import timedelta

from bot.domain.clock import Clock
from bot.slack.alert_messages import AlertMessages
from bot.slack.gateway import SlackGateway
from bot.slack.pace import ChannelPace
from bot.store import alert_posting, alerts, incidents, timeline
from bot.store.db import Pool
from bot.store.timeline import Entry

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
                    "alert_attached",
                    None,
                    f"{len(ids)} alert(s) attached ({len(ids) - resolved} firing, {resolved} resolved)",
                    slack_ts=ts,
                    data={"alert_ids": ids, "firing": len(ids) - resolved, "resolved": resolved},
                ),
            )
        return True
