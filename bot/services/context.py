"""What every service shares: who invoked what where, and the incident of that channel.

Commands addressed to an incident work inside its channel; this is the one place that finds
it and the one wording people read when they typed a command elsewhere.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from bot.domain.clock import Clock
from bot.domain.incident import Incident
from bot.errors import UsageError
from bot.slack import effects
from bot.slack.messages import SlackMessage
from bot.store import handled, incidents, outbox
from bot.store.db import Connection, Pool

RESOLVED = "This incident is already resolved."


class AlreadyHandled(Exception):
    """This delivery's work was done before: Slack delivered it twice, or the inbox ran it
    again after a crash. Whoever runs the delivery treats it as done."""


Reply = Callable[[SlackMessage], Awaitable[None]]
"""Answer the person who ran the command, ephemerally."""


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, where, and the delivery's key for deduplication."""

    user_id: str
    channel_id: str
    delivery_key: str
    response_url: str | None = None
    """Where to answer them later (5 uses within 30 minutes), when there is one."""

    @property
    def notify(self) -> dict[str, str] | None:
        """Whom an outbox effect tells when Slack is slow or refuses (see `bot.outbox`)."""
        return {"response_url": self.response_url} if self.response_url else None


async def claim_delivery(conn: Connection, who: Invocation | None, now: datetime) -> None:
    """Claim `who`'s delivery in the caller's transaction, so that its work and the claim commit
    together: a crash before the commit leaves both undone (the inbox runs it again), after it
    both done. Raises AlreadyHandled for a delivery claimed before."""
    if who is not None and not await handled.claim(conn, who.delivery_key, now):
        raise AlreadyHandled(who.delivery_key)


async def find_incident(
    conn: Connection, channel_id: str, *, lock: bool = False
) -> Incident | None:
    """The incident whose channel is `channel_id`, if any; binds `incident_id` to the logs.

    `lock` holds its row (`FOR UPDATE`) until the transaction ends, so concurrent changes to one
    incident take turns.
    """
    found = await incidents.by_channel(conn, channel_id, for_update=lock)
    if found is not None:
        structlog.contextvars.bind_contextvars(incident_id=found.id)
    return found


async def incident_of_channel(
    conn: Connection,
    channel_id: str,
    command: str,
    *,
    usage: str = "",
    open_only: bool = False,
    lock: bool = False,
) -> Incident:
    """`find_incident` for `/incident <command>` (or a button standing for it), refusing in
    words when the channel is not an incident's or, with `open_only`, the incident is resolved.
    """
    found = await find_incident(conn, channel_id, lock=lock)
    if found is None:
        raise UsageError(f"`/incident {command}` works inside an incident channel.", usage)
    if open_only and not found.is_open:
        raise UsageError(RESOLVED, usage)
    return found


@dataclass(frozen=True)
class Answers:
    """Answers to a person through their `response_url`, recorded in the outbox: an answer
    written while Slack is away reaches them when it is back."""

    pool: Pool
    clock: Clock

    def to(self, response_url: str, *, private: bool = False) -> Reply:
        async def reply(message: SlackMessage) -> None:
            answer = effects.respond(response_url, message, about="answer you", private=private)
            async with self.pool.acquire() as conn:
                await outbox.record(conn, answer, now=self.clock())

        return reply

    def privately(self, channel_id: str, user_id: str) -> Reply:
        """An ephemeral message in a channel, for an answer with no response_url (a form)."""

        async def reply(message: SlackMessage) -> None:
            answer = effects.ephemeral(channel_id, user_id, message, about="answer you")
            async with self.pool.acquire() as conn:
                await outbox.record(conn, answer, now=self.clock())

        return reply
