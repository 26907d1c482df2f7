"""Declaring an incident: reserve it and its channel name, then let the outbox make it real.

One transaction reserves the incident (its row, its `#incident-YYYYMMDD-NNN` name, the
`declared` stamp, its reminders) and records one effect: create the channel, plus what the
`declared` listeners record that needs no channel (the on-call's page, on a lane of its own, so
PagerDuty hears of a SEV-1 while Slack is down). The creation posts the first message as soon
as the channel is made (`bot.slack.effects`). Nothing else in Slack can happen before Slack
has made the channel, so the rest is recorded when it has, in the transaction that marks the
creation done (`channel_created`): the first message's pin (or the message itself, when the
creation could not post it), the topic, the declarer's invitation, the announcement and the
declarer's answer. A crash at any point leaves either the reservation with its creation still to
deliver, or the channel with its set-up still to deliver; a creation whose outcome was lost
finds the channel again by its name, and its first message by the creation's mark.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from bot.config import Policy
from bot.domain import drills
from bot.domain.clock import Clock
from bot.domain.commands import Declare
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.naming import channel_name
from bot.domain.timeline import Kind
from bot.outbox import Dispatcher, FollowUp
from bot.services import reminders
from bot.services.context import Invocation, claim_delivery
from bot.slack import effects
from bot.slack.composer import Composer
from bot.slack.messages import SlackMessage
from bot.store import incidents, outbox, timeline
from bot.store.db import Connection, Pool
from bot.store.timeline import Entry

log = structlog.get_logger(__name__)

MAX_NAME_ATTEMPTS = 50
CHANNEL_CREATED = "declaration.channel_created"
INITIAL_POSTED = "declaration.initial_posted"

Listener = Callable[[Connection, int], Awaitable[None]]
"""Called with an incident's id in the transaction that settles a step of its declaration."""
Reserved = Callable[[Connection, Incident], Awaitable[None]]
"""Called with an incident just reserved, in the declaration's own transaction."""


class DeclarationService:
    def __init__(
        self,
        pool: Pool,
        dispatcher: Dispatcher,
        policy: Policy,
        composer: Composer,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.dispatcher = dispatcher
        self.policy = policy
        self.compose = composer
        self.clock = clock
        self.declared: list[Reserved] = []
        """Told in the declaration's transaction, before Slack is asked for anything: what they
        record does not wait for the channel (the on-call's page). Keep them lean: every
        declaration runs them."""
        self.first_posted: list[Listener] = []
        """Told when an incident's first message is in its channel (alert digests follow it)."""
        self.abandoned: list[Listener] = []
        """Told when an incident's channel creation is given up for good."""
        self.set_up: list[Listener] = []
        """Told when an incident's channel is made and its set-up recorded: what they record
        in the channel follows the first message (the checklists posted on declare)."""

    def follow_ups(self) -> dict[str, FollowUp]:
        return {
            CHANNEL_CREATED: FollowUp(self.channel_created, self.creation_refused),
            INITIAL_POSTED: FollowUp(self.initial_posted),
        }

    async def declare(
        self,
        command: Declare,
        who: Invocation | None,
        *,
        initial: Callable[[Incident], SlackMessage] | None = None,
    ) -> Incident:
        """Reserve the incident and its channel name, and record the channel's creation.

        With no `who` an alert declares: nobody is commander yet, invited or answered.
        `initial` composes a different first message (an alert's details, buttons).
        """
        now = self.clock()
        async with self.pool.acquire() as conn, self.dispatcher.transaction(conn):
            await claim_delivery(conn, who, now)
            incident = await self.reserve(conn, command, who, initial=initial, now=now)
        structlog.contextvars.bind_contextvars(incident_id=incident.id)
        log.info(
            "incident_declared",
            channel=incident.channel_name,
            severity=incident.severity,
            drill=incident.is_drill,
        )
        return incident

    async def reserve(
        self,
        conn: Connection,
        command: Declare,
        who: Invocation | None,
        *,
        initial: Callable[[Incident], SlackMessage] | None,
        now: datetime,
    ) -> Incident:
        """`declare` in the caller's transaction (an alert declares with its group locked)."""
        user = who.user_id if who else None
        incident = await incidents.insert(
            conn,
            channel_id=None,
            channel_name=await self._next_name(conn, now, is_drill=command.is_drill),
            title=command.title,
            severity=command.severity.key,
            declared_by=user,
            declared_at=now,
            commander=user,
            is_drill=command.is_drill,
        )
        await timeline.append(
            conn,
            incident.id,
            Entry(
                now,
                Kind.DECLARED,
                user,
                f"Declared {'a drill, ' if incident.is_drill else ''}"
                f"{command.severity.label}: {command.title}",
                data={
                    "severity": command.severity.key,
                    "channel": incident.channel_name,
                    "drill": incident.is_drill,
                },
            ),
        )
        await reminders.arm(conn, incident, self.policy, now, fresh=True)
        first = initial(incident) if initial else self.compose.initial(incident)
        await self._record_creation(conn, incident, first, who.notify if who else None, now)
        for listener in self.declared:
            await listener(conn, incident)
        return incident

    async def _next_name(self, conn: Connection, now: datetime, *, is_drill: bool) -> str:
        """The next free name of the day: `incident-…`, or `drill-…` on a sequence of its own."""
        day = now.astimezone(self.policy.tz).date()
        if is_drill:
            seq = await incidents.next_sequence(conn, day, incidents.DRILL)
            return channel_name(self.policy.drill_prefix, day, seq)
        seq = await incidents.next_sequence(conn, day)
        return channel_name(self.policy.channel_prefix, day, seq)

    async def _record_creation(
        self,
        conn: Connection,
        incident: Incident,
        first: SlackMessage,
        notify: dict[str, Any] | None,
        now: datetime,
        attempt: int = 1,
    ) -> None:
        creation = effects.create_channel(
            incident.channel_name,
            incident_id=incident.id,
            first=first,
            attempt=attempt,
            then_do=CHANNEL_CREATED,
            notify={**(notify or {}), "what": "declaration"},
        )
        await self.dispatcher.record_here(conn, creation, now=now, drill=incident.is_drill)

    async def channel_created(
        self, conn: Connection, effect: Effect, result: effects.Result
    ) -> None:
        """Slack made the channel: record everything that goes into it and about it."""
        now = self.clock()
        assert effect.incident_id is not None  # noqa: S101 - creations are recorded with one
        first_ts = str(result["first_ts"]) if result.get("first_ts") else None
        incident = await incidents.set_channel(
            conn, effect.incident_id, str(result["channel"]), pinned_ts=first_ts
        )
        channel, about = incident.channel_id, f"#{incident.channel_name}"
        announce = drills.announce_channel(
            incident.is_drill, self.policy.announce_channel, self.policy.drill_channel
        )
        if first_ts is None:  # the creation could not post it: a post of its own, looked for first
            first = effects.post(
                channel,
                effects.as_message(effect.args["first"]),
                about=f"post the first message in {about}",
                incident_id=incident.id,
                then_do=INITIAL_POSTED,
                mark=effect.id,
            )
            await self.dispatcher.record_here(conn, first, now=now, drill=incident.is_drill)
        setup = [
            replace(
                effects.set_topic(channel, self.compose.topic(incident), incident_id=incident.id),
                notify=effect.notify,
            ),
            effects.invite(
                channel,
                [incident.declared_by] if incident.declared_by else [],
                about="invite you",
                incident_id=incident.id,
            ),
            effects.post(
                announce,
                self.compose.announce_declared(incident),
                about=f"announce {about} in #{announce}",
                incident_id=incident.id,
            ),
        ]
        url = (effect.notify or {}).get("response_url")
        if url and incident.declared_by:
            reply = self.compose.declared_reply(incident)
            setup.append(
                effects.respond(url, reply, about="answer the declarer", incident_id=incident.id)
            )
        if first_ts is not None:  # after the topic and the invitation, as when posted on its own
            setup.append(_pin_first(channel, first_ts, incident.id))
        await outbox.record_all(conn, setup, now=now, drill=incident.is_drill)
        if first_ts is not None:
            await self._tell_first_posted(conn, incident.id)
        for listener in self.set_up:
            await listener(conn, incident.id)

    async def initial_posted(
        self, conn: Connection, effect: Effect, result: effects.Result
    ) -> None:
        """The first message, posted on its own after its channel's creation could not, is in:
        keep its ts (alert digests thread under it) and pin it."""
        assert effect.incident_id is not None  # noqa: S101 - recorded with one
        ts = str(result["ts"])
        await incidents.set_pinned_ts(conn, effect.incident_id, ts)
        pin = _pin_first(str(result["channel"]), ts, effect.incident_id)
        await outbox.record(conn, pin, now=self.clock())
        await self._tell_first_posted(conn, effect.incident_id)

    async def _tell_first_posted(self, conn: Connection, incident_id: int) -> None:
        for listener in self.first_posted:
            await listener(conn, incident_id)

    async def creation_refused(
        self, conn: Connection, effect: Effect, error: DeliveryError
    ) -> bool:
        """Slack refused the channel for good: try the next name if it was taken, else give the
        declaration up (reported by the outbox) and tell the `abandoned` listeners. The
        incident is closed, so it lists as no open incident and reminds nobody."""
        if await self.name_taken(conn, effect, error):
            return True
        if effect.incident_id is not None:
            now = self.clock()
            closed = await incidents.resolve(
                conn,
                effect.incident_id,
                f"Never opened: Slack refused its channel ({error.error})",
                now,
            )
            await reminders.cancel(conn, closed)
            await timeline.append(
                conn,
                closed.id,
                Entry(now, Kind.RESOLVED, None, closed.resolution or "", data={"abandoned": True}),
            )
            for listener in self.abandoned:
                await listener(conn, effect.incident_id)
        return False

    async def name_taken(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """A channel of the reserved name exists and the bot did not make it: reserve the next
        name and create that instead (up to MAX_NAME_ATTEMPTS names)."""
        attempt = int(effect.args.get("attempt", 1))
        if (
            error.error != "name_taken"
            or effect.incident_id is None
            or attempt >= MAX_NAME_ATTEMPTS
        ):
            return False
        now = self.clock()
        incident = await incidents.by_id(conn, effect.incident_id)
        assert incident is not None  # noqa: S101 - incidents are never deleted
        name = await self._next_name(conn, now, is_drill=incident.is_drill)
        log.info("channel_name_taken", channel=effect.args["name"], next=name)
        await incidents.rename(conn, effect.incident_id, name)
        incident = replace(incident, channel_name=name)
        first = effects.as_message(effect.args["first"])
        await self._record_creation(conn, incident, first, effect.notify, now, attempt + 1)
        return True


def _pin_first(channel: str, ts: str, incident_id: int) -> NewEffect:
    return effects.pin(channel, ts, about="pin the first message", incident_id=incident_id)
