"""What people do to an incident: declare, update, re-grade, assign, resolve, look.

Each function is one unit of work: the database is changed in one transaction first (the
status machine deciding what is legal), then Slack is told. Handlers call exactly one of these.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import structlog

from bot.config import Policy
from bot.domain import status as status_machine
from bot.domain.clock import Clock
from bot.domain.commands import Assign, Declare, PostUpdate, Regrade, Resolve, Role, usage
from bot.domain.incident import Incident
from bot.domain.naming import channel_name
from bot.domain.status import Status
from bot.domain.timeline import Kind
from bot.errors import NotAllowed, UsageError
from bot.services import reminders
from bot.services.context import Invocation, Reply, incident_of_channel
from bot.services.postmortems import PostmortemService
from bot.slack.composer import Composer
from bot.slack.gateway import NameTaken, SlackError, SlackGateway
from bot.slack.messages import SlackMessage
from bot.store import handled, incidents, timeline
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

    async def claim(self, delivery_key: str) -> bool:
        """True the first time a Slack delivery is seen; False for a retry or duplicate."""
        async with self.pool.acquire() as conn:
            return await handled.claim(conn, delivery_key, self.clock())

    async def declare(
        self,
        command: Declare,
        who: Invocation | None,
        reply: Reply | None = None,
        *,
        initial: Callable[[Incident], SlackMessage] | None = None,
    ) -> Incident:
        """Open the channel, record the incident, then set the channel up and announce it.

        The declarer gets the channel link as soon as the channel exists; the rest runs
        concurrently, and any step Slack refuses is reported back rather than lost silently.
        With no `who` an alert declares: nobody is commander yet, invited or answered (refusals
        are logged). `initial` composes a different first message (an alert's details, buttons).
        """
        now = self.clock()
        user = who.user_id if who else None
        channel_id, name = await self._create_channel(now)
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await incidents.insert(
                conn,
                channel_id=channel_id,
                channel_name=name,
                title=command.title,
                severity=command.severity.key,
                declared_by=user,
                declared_at=now,
                commander=user,
            )
            await timeline.append(
                conn,
                incident.id,
                Entry(
                    now,
                    Kind.DECLARED,
                    user,
                    f"Declared {command.severity.label}: {command.title}",
                    data={"severity": command.severity.key, "channel": name},
                ),
            )
            await reminders.arm(conn, incident, self.policy, now)
        structlog.contextvars.bind_contextvars(incident_id=incident.id)
        log.info("incident_declared", channel=name, severity=incident.severity)
        if reply:
            await reply(self.compose.declared_reply(incident))
        failures = await _run_all(
            {
                "invite you": self.slack.invite(channel_id, [user] if user else []),
                "set the topic": self.slack.set_topic(channel_id, self.compose.topic(incident)),
                "post and pin the initial message": self._post_initial(incident, initial),
                f"announce in #{self.policy.announce_channel}": self.slack.post(
                    self.policy.announce_channel, self.compose.announce_declared(incident)
                ),
            }
        )
        if failures and reply:
            await reply(
                self.compose.usage_error("Declared, but Slack refused to " + "; ".join(failures))
            )
        elif failures:
            log.warning("declare_steps_refused", failures=failures)
        return incident

    async def _create_channel(self, now: datetime) -> tuple[str, str]:
        day = now.astimezone(self.policy.tz).date()
        for _ in range(MAX_NAME_ATTEMPTS):
            async with self.pool.acquire() as conn:
                seq = await incidents.next_sequence(conn, day)
            name = channel_name(self.policy.channel_prefix, day, seq)
            try:
                return await self.slack.create_channel(name), name
            except NameTaken:
                log.info("channel_name_taken", channel=name)
        raise NotAllowed(f"No free channel name for {day}: {MAX_NAME_ATTEMPTS} names were taken.")

    async def _post_initial(
        self, incident: Incident, compose: Callable[[Incident], SlackMessage] | None
    ) -> None:
        message = compose(incident) if compose else self.compose.initial(incident)
        ts = await self.slack.post(incident.channel_id, message)
        async with self.pool.acquire() as conn:
            await incidents.set_pinned_ts(conn, incident.id, ts)
        await self.slack.pin(incident.channel_id, ts)

    async def post_update(self, command: PostUpdate, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "update")
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
        steps: dict[str, Awaitable[object]] = {
            "post the update": self.slack.post(incident.channel_id, message)
        }
        if target is not current.status:
            steps["set the topic"] = self.slack.set_topic(
                incident.channel_id, self.compose.topic(incident)
            )
        _raise_failures(await _run_all(steps), f"Update #{incident.update_count} was recorded")
        return incident

    async def regrade(self, command: Regrade, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "severity")
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
        _raise_failures(
            await _run_all(
                {
                    "announce the change": self.slack.post(
                        incident.channel_id,
                        self.compose.severity_changed(
                            incident, previous=current.severity, author=who.user_id
                        ),
                    ),
                    "set the topic": self.slack.set_topic(
                        incident.channel_id, self.compose.topic(incident)
                    ),
                }
            ),
            "The severity was changed",
        )
        return incident

    async def assign(self, command: Assign, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "assign")
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
        steps: dict[str, Awaitable[object]] = {
            "invite them": self.slack.invite(incident.channel_id, [command.user_id]),
            "announce the role": self.slack.post(
                incident.channel_id,
                self.compose.role_assigned(
                    role=command.role, user=command.user_id, previous=previous, author=who.user_id
                ),
            ),
        }
        if command.role is Role.COMMANDER:
            steps["set the topic"] = self.slack.set_topic(
                incident.channel_id, self.compose.topic(incident)
            )
        _raise_failures(await _run_all(steps), "The role was assigned")
        return incident

    async def resolve(self, command: Resolve, who: Invocation) -> Incident:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await _open_incident(conn, who, "resolve")
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
        log.info("incident_resolved", duration_seconds=int(incident.age(now).total_seconds()))
        _raise_failures(
            await _run_all(
                {
                    "post the resolution": self.slack.post(
                        incident.channel_id, self.compose.resolution(incident, author=who.user_id)
                    ),
                    "set the topic": self.slack.set_topic(
                        incident.channel_id, self.compose.topic(incident)
                    ),
                    f"announce in #{self.policy.announce_channel}": self.slack.post(
                        self.policy.announce_channel, self.compose.announce_resolved(incident)
                    ),
                }
            )
            # Then the post-mortem, so that the document follows the notice in the channel.
            + await _run_all({"share the post-mortem": self.postmortems.publish(incident)}),
            "The incident was resolved",
        )
        return incident

    async def status_card(self, who: Invocation) -> SlackMessage:
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "status", usage=usage("status")
            )
        return self.compose.status_card(incident, self.clock())

    async def list_open(self) -> SlackMessage:
        async with self.pool.acquire() as conn:
            found = await incidents.list_open(conn)
        return self.compose.incident_list(found, self.clock())


async def _open_incident(conn: Connection, who: Invocation, name: str) -> Incident:
    """The open incident of the channel `who` typed in, locked for this transaction."""
    return await incident_of_channel(
        conn, who.channel_id, name, usage=usage(name), open_only=True, lock=True
    )


async def _run_all(steps: Mapping[str, Awaitable[object]]) -> list[str]:
    """Run Slack steps concurrently; return the description of each one Slack refused."""
    results = await asyncio.gather(*steps.values(), return_exceptions=True)
    failures = []
    for what, result in zip(steps, results, strict=True):
        if isinstance(result, SlackError):
            failures.append(f"{what} ({result.error})")
        elif isinstance(result, BaseException):
            raise result
    return failures


def _raise_failures(failures: list[str], done: str) -> None:
    if failures:
        raise NotAllowed(f"{done}, but Slack refused to " + "; ".join(failures) + ".")
