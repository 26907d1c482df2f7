"""What happened on the wire: API calls, injected faults, deliveries, response URLs.

Kept apart from the workspace model because these describe traffic, not Slack content; tests
count them (how many 429s, what the bot answered) rather than read them as messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.demo.standin.state import JSON


@dataclass
class Fault:
    method: str
    error: str
    status: int
    retry_after: int
    times: int


@dataclass(frozen=True)
class Call:
    method: str
    params: JSON
    status: int
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
