"""Update reminders and escalation, as durable jobs that follow the incident's changes.

Arming happens inside the transaction of the change that causes it (declare, update, re-grade,
resolve), so the jobs exist exactly when the change committed, on every replica at once. Each
arming gets fresh job keys, so re-arming never collides with a job that is already running;
each firing locks the incident, checks it still applies, and claims an effect key before it
posts, so a job run twice (a lease that lapsed) posts once.

    reminder:{incident}:{update_count}:{nonce}   effect: the job key (one post per reminder)
    escalation:{incident}:{step}:{nonce}         effect: escalation:{incident}:{step}
    respond_within:{incident}:{nonce}            effect: respond_within:{incident}
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog
from slack_sdk.models.views import View

from bot.config import Policy
from bot.domain import drills
from bot.domain.cadence import next_on_grid, reminder_due, snooze_until
from bot.domain.clock import Clock
from bot.domain.durations import format_duration
from bot.domain.escalation import applies, deadline, escalation_plan
from bot.domain.incident import Incident
from bot.domain.timeline import Kind
from bot.scheduler import JobHandler, Run
from bot.services.context import incident_of_channel
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.slack.messages import SlackMessage
from bot.slack.reminder_messages import ReminderMessages
from bot.store import handled, incidents, jobs, outbox, timeline
from bot.store.db import Connection, Pool
from bot.store.jobs import Job
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

REMINDER = "reminder"
ESCALATION = "escalation"
RESPOND_WITHIN = "respond_within"
KINDS = (REMINDER, ESCALATION, RESPOND_WITHIN)


async def arm(
    conn: Connection, incident: Incident, policy: Policy, now: datetime, *, fresh: bool = False
) -> None:
    """(Re-)arm every timer of an incident, in one statement: on declaration (`fresh`: nothing
    to cancel yet), and with a severity's new rules.

    The respond_within check is armed only while nobody commands the incident.
    """
    if not fresh:
        await jobs.cancel(conn, incident_id=incident.id, kinds=KINDS)
    timers = [*_reminder(incident, policy, now)]
    level = policy.severities.get(incident.severity)
    for firing in escalation_plan(policy.escalation, level, incident.declared_at, now):
        step = policy.escalation[firing.index]
        timers.append(
            _timer(
                incident,
                ESCALATION,
                f"{firing.index}:{_nonce()}",
                firing.due_at,
                step=firing.index,
                after=step.after.total_seconds(),
                notify=list(step.notify),
                severities=None if step.severities is None else list(step.severities),
            )
        )
    if incident.commander is None:
        due = deadline(incident.declared_at, level.respond_within, now)
        timers.append(_timer(incident, RESPOND_WITHIN, _nonce(), due))
    await jobs.schedule(conn, *timers, now=now)


async def rearm_reminder(
    conn: Connection, incident: Incident, policy: Policy, now: datetime
) -> None:
    """An update was posted: the next reminder is one cadence from it."""
    await jobs.cancel(conn, incident_id=incident.id, kinds=(REMINDER,))
    await jobs.schedule(conn, *_reminder(incident, policy, now), now=now)


async def cancel(conn: Connection, incident: Incident) -> None:
    """The incident is resolved: nothing more to remind or escalate."""
    await jobs.cancel(conn, incident_id=incident.id, kinds=KINDS)


def _reminder(
    incident: Incident, policy: Policy, now: datetime, due_at: datetime | None = None
) -> list[jobs.NewJob]:
    """The incident's next update reminder, if its severity reminds at all."""
    due = due_at or reminder_due(incident, policy.severities, now)
    if due is None:
        return []
    return [_timer(incident, REMINDER, f"{incident.update_count}:{_nonce()}", due)]


def _timer(
    incident: Incident, kind: str, suffix: str, due_at: datetime, **payload: Any
) -> jobs.NewJob:
    return jobs.NewJob(f"{kind}:{incident.id}:{suffix}", kind, due_at, incident.id, payload)


def _nonce() -> str:
    """Makes a job key unique per arming: a re-armed timer never meets a running job's key."""
    return secrets.token_hex(6)


def _late(run: Run) -> dict[str, object]:
    return {"due_at": run.job.due_at.isoformat(), "late_by_seconds": run.late_by.total_seconds()}


class Reminders:
    """Runs the jobs armed above, and the snooze and update-form behind a reminder's buttons."""

    def __init__(
        self, pool: Pool, gateway: SlackGateway, composer: Composer, policy: Policy, clock: Clock
    ) -> None:
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.clock = clock
        self.messages = ReminderMessages(composer)

    def job_handlers(self) -> dict[str, JobHandler]:
        return {
            REMINDER: self.remind,
            ESCALATION: self.escalate,
            RESPOND_WITHIN: self.check_commander,
        }

    async def remind(self, run: Run) -> None:
        """Post the reminder and arm the next one, unless an update or snooze re-armed meanwhile."""
        job, now = run.job, self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await _lock_open(conn, job)
            if incident is None or await _rearmed(conn, incident.id):
                return
            if not await handled.claim(conn, job.key, now):
                return
            cadence = self.policy.severities.update_every(incident.severity)
            next_due = next_on_grid(job.due_at, cadence, now)
            if not incident.channel_id:  # Slack has not made the channel yet: remind later
                await jobs.schedule(conn, *_reminder(incident, self.policy, now, next_due), now=now)
                return
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.REMINDER,
                    None,
                    f"Reminder: Update #{incident.update_count + 1} is due",
                    data={"job": job.key, **_late(run)},
                ),
            )
            await jobs.schedule(conn, *_reminder(incident, self.policy, now, next_due), now=now)
            message = self.messages.reminder(incident, key=job.key, now=now, late_by=run.late_by)
            # While Slack is away reminders come due and are stamped, but only one waits to be
            # posted: after the outage the commander gets one reminder, not one per cadence.
            reminder = effects.post(
                incident.channel_id, message, about="post a reminder", incident_id=incident.id
            )
            await outbox.record(conn, reminder.with_key(f"reminder:{incident.id}"), now=now)
        log.info("reminder_recorded", late_by_seconds=run.late_by.total_seconds())

    async def escalate(self, run: Run) -> None:
        """Post an escalation step once, in the channel and the announce channel."""
        job, now = run.job, self.clock()
        step = int(job.payload["step"])
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await _lock_open(conn, job)
            if incident is None or not applies(
                job.payload["severities"], self.policy.severities.get(incident.severity)
            ):
                return
            if not await handled.claim(conn, f"{ESCALATION}:{incident.id}:{step}", now):
                return
            after = timedelta(seconds=float(job.payload["after"]))
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.ESCALATION,
                    None,
                    f"Escalated: unresolved after {format_duration(after)}",
                    data={"step": step, "notify": job.payload["notify"], **_late(run)},
                ),
            )
            message = self.messages.escalation(
                incident, after=after, notify=job.payload["notify"], late_by=run.late_by
            )
            await self._post_both(conn, incident, message, "post the escalation")

    async def check_commander(self, run: Run) -> None:
        """`respond_within` ran out: say so if nobody has taken command yet."""
        job, now = run.job, self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await _lock_open(conn, job)
            if incident is None or incident.commander is not None:
                return
            if not await handled.claim(conn, f"{RESPOND_WITHIN}:{incident.id}", now):
                return
            within = self.policy.severities.get(incident.severity).respond_within
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.ESCALATION,
                    None,
                    f"No incident commander after {format_duration(within)}",
                    data={"rule": RESPOND_WITHIN, **_late(run)},
                ),
            )
            message = self.messages.no_commander(incident, within=within, late_by=run.late_by)
            await self._post_both(conn, incident, message, "say nobody commands the incident")

    async def _post_both(
        self, conn: Connection, incident: Incident, message: SlackMessage, about: str
    ) -> None:
        announce = drills.announce_channel(
            incident.is_drill, self.policy.announce_channel, self.policy.drill_channel
        )
        posts = [
            effects.post(channel, message, about=about, incident_id=incident.id)
            for channel in filter(None, (incident.channel_id, announce))
        ]
        await outbox.record_all(conn, posts, now=self.clock(), drill=incident.is_drill)

    async def snooze(self, channel_id: str, user_id: str, minutes: int, reminder: str) -> None:
        """Push the next reminder `minutes` out; a posted update still re-arms it as usual."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await incident_of_channel(
                conn, channel_id, "update", open_only=True, lock=True
            )
            until = snooze_until(minutes, now, reminder_due(incident, self.policy.severities, now))
            await jobs.cancel(conn, incident_id=incident.id, kinds=(REMINDER,))
            await jobs.schedule(conn, *_reminder(incident, self.policy, now, until), now=now)
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.REMINDER_SNOOZED,
                    user_id,
                    f"Reminders snoozed for {minutes} min",
                    data={"minutes": minutes, "until": until.isoformat(), "reminder": reminder},
                ),
            )
            snoozed = effects.post(
                channel_id,
                self.messages.snoozed(user=user_id, minutes=minutes, until=until),
                about="say the reminders are snoozed",
                incident_id=incident.id,
            )
            await outbox.record(conn, snoozed, now=now)

    async def update_form(self, channel_id: str) -> View:
        """The "Post update" modal for the incident in `channel_id`."""
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(conn, channel_id, "update", open_only=True)
        return self.messages.update_form(incident)


async def _lock_open(conn: Connection, job: Job) -> Incident | None:
    """The job's incident, locked against concurrent changes for this transaction; None if it
    is resolved."""
    if job.incident_id is None:
        return None
    incident = await incidents.by_id(conn, job.incident_id, for_update=True)
    if incident is None or not incident.is_open:
        return None
    structlog.contextvars.bind_contextvars(incident_id=incident.id)
    return incident


async def _rearmed(conn: Connection, incident_id: int) -> bool:
    """Whether a reminder was armed after this one was claimed (by an update or a snooze)."""
    return any(job.kind == REMINDER for job in await jobs.pending(conn, incident_id=incident_id))
