"""What happened on the wire: API calls, injected faults and outages, deliveries, response URLs.

Kept apart from the workspace model because these describe traffic, not Slack content; tests
count them (how many 429s, what the bot answered) rather than read them as messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.demo.standin.state import JSON


@dataclass
class Fault:
    method: str
    error: str
    status: int
    retry_after: int
    times: int


OutageMode = Literal["http_503", "refused"]


@dataclass(frozen=True)
class Outage:
    """Slack down from ``started`` for ``seconds`` (None: until ended by hand), on one clock.

    ``http_503`` answers every request HTTP 503 ``service_unavailable``; ``refused`` drops the
    connection with a TCP reset before answering, so the client sees ECONNRESET and can never
    tell whether Slack acted (it did not).
    """

    mode: OutageMode
    started: float
    seconds: float | None

    def is_over(self, now: float) -> bool:
        return self.seconds is not None and now - self.started >= self.seconds


@dataclass(frozen=True)
class Call:
    """One request the bot made; ``status`` None means it got no answer (connection dropped)."""

    method: str
    params: JSON
    status: int | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    """One HTTP request the stand-in (as Slack) made to the bot; status None = no answer."""

    kind: str
    payload: JSON
    status: int | None
    body: str


@dataclass
class ResponseUrl:
    token: str
    channel: str
    user: str
    message_ts: str | None
    created: float
    uses: int = 0
    first_used: float | None = None
    """When the bot first posted to it (the stand-in's clock): when the person saw an answer."""
