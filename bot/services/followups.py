"""Follow-ups tracked to done: recorded, posted with Done and Drop…, listed, nudged, exported.

A follow-up is recorded by `/incident followup` or a `note action item:` (once per note: the
row keeps its source entry), in the incident's channel, open or resolved. In the same
transaction it is stamped in the timeline, its message is recorded for the channel, the
owner's DM is armed as a job for the due date, and with `followups.export` in the policy an
issue is recorded for GitHub or Jira (a drill's is not: its message says where it would have
gone). Done and Drop are conditional UPDATEs on the row: of two clicks at once, or a Done after
a Drop, one wins and the other is told; each is stamped, even after the incident is resolved,
and the message is re-drawn from the row.

    followup_due  key followup:{id}:due:{n}   the n-th DM (0: the day it falls due), then one
                                              every `followups.remind_every` while overdue
"""

from dataclasses import replace
from datetime import date, datetime, timedelta

import structlog

from bot.config import Policy
from bot.domain.clock import Clock
from bot.domain.commands import AddFollowup, ListFollowups
from bot.domain.effects import Effect, NewEffect
from bot.domain.followups import (
    MAX_TEXT,
    Followup,
    Scope,
    State,
    due_date,
    due_moment,
    today_in,
)
from bot.domain.incident import Incident
from bot.domain.timeline import Entry, Kind
from bot.errors import NotFound, UsageError
from bot.integrations import github, jira
from bot.outbox import FollowUp
from bot.scheduler import JobHandler, Run
from bot.services.commands import usage
from bot.services.context import Invocation, Reply, claim_delivery, incident_of_channel
from bot.slack import effects
from bot.slack.followup_messages import Export, FollowupMessages
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.interactions import DropForm, DropWanted, FollowupDone
from bot.slack.messages import SlackMessage, truncate
from bot.store import followups, handled, incidents, jobs, outbox, timeline
from bot.store.db import Connection, Pool

log = structlog.get_logger(__name__)

POSTED = "followups.posted"
EXPORTED = "followups.exported"
DUE_JOB = "followup_due"
FOLLOWUP_ID = "followup_id"
LISTED = 25
"""Lines in one `/incident followups` answer: 25 of the longest stay inside one message."""


class FollowupService:
    def __init__(
        self,
        pool: Pool,
        gateway: SlackGateway,
        policy: Policy,
        messages: FollowupMessages,
        clock: Clock,
    ) -> None:
        """`gateway` checks an owner (users.info) and opens the Drop form; nothing else."""
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.messages = messages
        self.clock = clock

    def follow_ups(self) -> dict[str, FollowUp]:
        return {POSTED: FollowUp(self.posted), EXPORTED: FollowUp(self.exported)}

    def job_handlers(self) -> dict[str, JobHandler]:
        return {DUE_JOB: self.remind_owner}

    def _today(self) -> date:
        return today_in(self.clock(), self.policy.tz)

    async def record(self, command: AddFollowup, who: Invocation) -> None:
        """`/incident followup`: the owner must be a person, the date today or later."""
        try:
            if command.owner_id and not await self.slack.is_person(command.owner_id):
                raise UsageError(f"<@{command.owner_id}> is not a person in this workspace.")
            due_on = due_date(command.due_on, command.due_within, self._today())
        except UsageError as error:
            raise UsageError(error.message, usage("followup")) from None
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            incident = await incident_of_channel(
                conn, who.channel_id, "followup", usage=usage("followup")
            )
            followup = await followups.insert(
                conn,
                incident_id=incident.id,
                text=command.text,
                owner_id=command.owner_id,
                due_on=due_on,
                created_by=who.user_id,
                now=now,
            )
            assert followup is not None  # noqa: S101 - no source entry: never a conflict
            await self._recorded(conn, incident, followup, now)

    async def from_note(
        self, conn: Connection, incident: Incident, entry_id: int, text: str, author: str
    ) -> None:
        """A `note action item:` just stamped (in the note's transaction): its follow-up, once.
        A note longer than a follow-up's limit is cut; the timeline keeps all of it."""
        now = self.clock()
        followup = await followups.insert(
            conn,
            incident_id=incident.id,
            text=truncate(text, MAX_TEXT),
            owner_id=None,
            due_on=None,
            created_by=author,
            now=now,
            source_entry=entry_id,
        )
        if followup is not None:
            await self._recorded(conn, incident, followup, now)

    async def _recorded(
        self, conn: Connection, incident: Incident, followup: Followup, now: datetime
    ) -> None:
        data = {"followup": followup.id, "user": followup.owner_id, "due_on": _iso(followup.due_on)}
        entry = Entry(now, Kind.FOLLOWUP_RECORDED, followup.created_by, followup.text, data=data)
        await timeline.append(conn, incident.id, entry)
        if incident.channel_id:
            post = effects.post(
                incident.channel_id,
                self.messages.message(
                    followup, self._today(), drill_export=self._drill_export(incident)
                ),
                about="post the follow-up",
                incident_id=incident.id,
                then_do=POSTED,
            )
            post = replace(post, args={**post.args, FOLLOWUP_ID: followup.id})
            await outbox.record(conn, post, now=now)
        if followup.owner_id and followup.due_on:
            await self._arm(conn, followup, 0, due_moment(followup.due_on, self.policy.tz), now)
        if not incident.is_drill:
            await outbox.record_all(conn, self._exports(incident, followup), now=now)
        log.info("followup_recorded", followup=followup.id, incident_id=incident.id)

    def _exports(self, incident: Incident, followup: Followup) -> list[NewEffect]:
        """The issues the policy opens for a new follow-up (`followups.export`)."""
        export, found = self.policy.followups.export, []
        body = f"{followup.text}\n\nFollow-up of {incident.channel_name}: {incident.title}"
        if export.github:
            found.append(
                github.open_issue(
                    repo=export.github.repo,
                    title=followup.text,
                    body=body,
                    followup_id=followup.id,
                    incident_id=incident.id,
                    then_do=EXPORTED,
                )
            )
        if export.jira:
            found.append(
                jira.open_issue(
                    project=export.jira.project,
                    summary=followup.text,
                    text=body,
                    followup_id=followup.id,
                    incident_id=incident.id,
                    then_do=EXPORTED,
                )
            )
        return found

    def _drill_export(self, incident: Incident) -> Export | None:
        """What a drill's follow-up would have opened, said on its message instead."""
        export = self.policy.followups.export
        if not incident.is_drill:
            return None
        if export.github:
            return Export("GitHub", export.github.repo)
        if export.jira:
            return Export("Jira", export.jira.project)
        return None

    async def _arm(
        self, conn: Connection, followup: Followup, nudge: int, due_at: datetime, now: datetime
    ) -> None:
        job = jobs.NewJob(
            f"followup:{followup.id}:due:{nudge}",
            DUE_JOB,
            due_at,
            followup.incident_id,
            {"followup": followup.id, "nudge": nudge},
        )
        await jobs.schedule(conn, job, now=now)

    async def posted(self, conn: Connection, effect: Effect, result: effects.Result) -> None:
        """Its message is in the channel: keep where, and re-draw it if it changed meanwhile."""
        followup = await followups.set_message(
            conn, int(effect.args[FOLLOWUP_ID]), str(effect.args["channel"]), str(result["ts"])
        )
        if followup is not None and (not followup.is_open or followup.export_url):
            await self._redraw(conn, followup)

    async def exported(self, conn: Connection, effect: Effect, result: effects.Result) -> None:
        """The issue is open: keep its link and show it on the follow-up's message."""
        followup = await followups.set_export(
            conn, int(effect.args[FOLLOWUP_ID]), str(result["url"])
        )
        if followup is not None:
            await self._redraw(conn, followup)

    async def _redraw(self, conn: Connection, followup: Followup) -> None:
        if followup.message_ts is None or followup.message_channel is None:
            return
        incident = await incidents.by_id(conn, followup.incident_id)
        drill = self._drill_export(incident) if incident else None
        edit = effects.update(
            followup.message_channel,
            followup.message_ts,
            self.messages.message(followup, self._today(), drill_export=drill),
            about="show the follow-up as it stands",
            incident_id=followup.incident_id,
        )
        await outbox.record_edit(conn, edit, now=self.clock())

    async def done(self, button: FollowupDone, reply: Reply) -> None:
        """**Done**: closes an open follow-up once; a later click is told who closed it."""
        click = button.click
        who = Invocation(click.user_id, click.channel_id, f"click:{click.trigger_id}")
        await self._close(who, button.followup_id, State.DONE, None, reply)

    async def drop(self, form: DropForm, reply: Reply) -> None:
        """The Drop form, submitted with its reason."""
        who = Invocation(form.user_id, form.channel_id, f"view:{form.view_id}")
        await self._close(who, form.followup_id, State.DROPPED, form.reason, reply)

    async def _close(
        self, who: Invocation, followup_id: int, state: State, reason: str | None, reply: Reply
    ) -> None:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            closed = await followups.close(
                conn, followup_id, state=state, by=who.user_id, now=now, reason=reason
            )
            if closed is not None:
                await self._stamp_closed(conn, closed, now)
            current = closed or await followups.get(conn, followup_id)
        if current is None:
            raise NotFound("This follow-up is not one the bot knows.")
        if closed is None:
            await reply(self.messages.already_closed(current))

    async def _stamp_closed(self, conn: Connection, followup: Followup, now: datetime) -> None:
        kind = Kind.FOLLOWUP_DONE if followup.state is State.DONE else Kind.FOLLOWUP_DROPPED
        body = followup.text
        if followup.drop_reason:
            body = f"{followup.text} (reason: {followup.drop_reason})"
        data = {"followup": followup.id, "reason": followup.drop_reason}
        await timeline.append(
            conn, followup.incident_id, Entry(now, kind, followup.closed_by, body, data=data)
        )
        await jobs.cancel_about(
            conn, incident_id=followup.incident_id, kind=DUE_JOB, key="followup", value=followup.id
        )
        await self._redraw(conn, followup)

    async def open_drop_form(self, button: DropWanted, reply: Reply) -> None:
        """**Drop…**: the form asking why, unless it was closed meanwhile."""
        async with self.pool.acquire() as conn:
            followup = await followups.get(conn, button.followup_id)
        if followup is None:
            raise NotFound("This follow-up is not one the bot knows.")
        if not followup.is_open:
            await reply(self.messages.already_closed(followup))
            return
        try:
            await self.slack.open_view(button.click.trigger_id, self.messages.drop_form(followup))
        except SlackError as error:
            log.warning("drop_form_not_opened", error=error.error)
            raise UsageError(
                f"Slack did not open the form ({error.error}): click *Drop…* again."
            ) from None

    async def listing(self, command: ListFollowups, who: Invocation) -> SlackMessage:
        """`/incident followups`: open ones across incidents, from any channel."""
        today = self._today()
        owner = {Scope.MINE: who.user_id, Scope.PERSON: command.person}.get(command.scope)
        due_before = today if command.scope is Scope.OVERDUE else None
        async with self.pool.acquire() as conn:
            shown, total = await followups.open_ones(
                conn, owner_id=owner, due_before=due_before, limit=LISTED
            )
        return self.messages.listing(
            shown, total, scope=command.scope, person=command.person, today=today
        )

    async def remind_owner(self, run: Run) -> None:
        """The owner's DM: once the day it falls due, then every `remind_every` while it stays
        open; done or dropped, nothing more. After a long outage, one DM, not one per period."""
        job, now = run.job, self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            followup = await followups.get(conn, int(job.payload["followup"]), for_update=True)
            if followup is None or not followup.is_open or followup.owner_id is None:
                return
            if not await handled.claim(conn, job.key, now):
                return
            incident = await incidents.by_id(conn, followup.incident_id)
            assert incident is not None  # noqa: S101 - a follow-up's incident is never deleted
            nudge, every = int(job.payload["nudge"]), self.policy.followups.remind_every
            message = self.messages.due(followup, incident, nudge=nudge, every=every)
            dm = effects.post(
                followup.owner_id,
                message,
                about="remind the owner of a follow-up",
                incident_id=incident.id,
            )
            await outbox.record(conn, dm, now=now)
            await self._arm(conn, followup, nudge + 1, _next(job.due_at, every, now), now)
        log.info("followup_owner_reminded", followup=followup.id, nudge=nudge)


def _next(due_at: datetime, every: timedelta, now: datetime) -> datetime:
    """The next nudge on the cadence from the first, after now."""
    passed = max(0, (now - due_at) // every)
    return due_at + every * (passed + 1)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
