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


class DeliveryError(Exception):
    """The other side refused an effect or could not be reached (`bot.outbox` decides what next).

    `error` is a short code (Slack's own, or `unreachable`, `ratelimited`, `http_400`); `detail`
    the other system's own words, shown to people when the effect is given up; `retry_after` the
    pause a 429 asked for. `is_transient` tells a refusal that may pass from one that will not.
    """

    def __init__(
        self,
        method: str,
        error: str,
        *,
        retry_after: float | None = None,
        transient: bool = False,
        detail: str | None = None,
        system: str = "Slack",
    ) -> None:
        super().__init__(f"{method}: {error}")
        self.system = system
        """Who refused: `Slack`, `PagerDuty`, `Statuspage`, …, as people read it."""
        self.method = method
        self.error = error
        self.retry_after = retry_after
        self.transient = transient
        self.detail = detail

    @property
    def is_transient(self) -> bool:
        return self.transient


@dataclass(frozen=True)
class Waiting:
    """How much is waiting to be delivered, and since when."""

    count: int
    oldest: datetime | None
