"""What every service shares: who invoked what where, and the incident of that channel.

Commands addressed to an incident work inside its channel; this is the one place that finds
it and the one wording people read when they typed a command elsewhere.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from bot.domain.incident import Incident
from bot.errors import UsageError
from bot.slack.messages import SlackMessage
from bot.store import incidents
from bot.store.db import Connection

RESOLVED = "This incident is already resolved."

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
