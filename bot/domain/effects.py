"""Effects: what must reach Slack or another system, recorded as data and delivered later.

A service decides and records a `NewEffect` in the transaction that changes the state; the
outbox's dispatcher claims it as an `Effect` and makes the call (`bot.slack.effects`).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NewEffect:
    """An effect to record: `method` and `args` say what to call, `about` says it in words."""

    method: str
    args: dict[str, Any]
    lane: str
    about: str
    incident_id: int | None = None
    then_do: str | None = None
    coalesce_key: str | None = None
    """While an effect with this key waits, recording another with the same key does nothing."""
    notify: dict[str, Any] | None = None
    """Whom to tell if delivery is slow or refused: `{"response_url": …, "what": …}`."""

    def with_key(self, coalesce_key: str) -> "NewEffect":
        """The same effect, recorded only while no other with `coalesce_key` waits."""
        return replace(self, coalesce_key=coalesce_key)


@dataclass(frozen=True)
class Effect:
    id: int
    lane: str
    incident_id: int | None
    method: str
    args: dict[str, Any]
    about: str
    then_do: str | None
    notify: dict[str, Any] | None
    attempts: int
    maybe_done: bool
    """An earlier attempt may have reached the other side before the bot lost track of it (a
    replica died while delivering, a connection dropped after sending): look before repeating."""
    created_at: datetime


@dataclass(frozen=True)
class Waiting:
    """How much is waiting to be delivered, and since when."""

    count: int
    oldest: datetime | None
