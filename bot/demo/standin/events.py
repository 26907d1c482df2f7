"""Slack's side of requests to the bot: v0 signing, event envelopes, tracked delivery.

Every request the stand-in makes to the bot (events it raises by itself in the background, and
whatever the sender sends on a test's behalf) goes through :class:`EventBus`, so all of them are
signed the same way, time out after Slack's 3 seconds, and land in one ``deliveries`` log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bot.demo.standin.records import Delivery
from bot.demo.standin.state import BOT_USER_ID, JSON, Workspace

VERIFICATION_TOKEN = "standin-verification-token"  # noqa: S105 - fixed fake value
WRONG_SECRET = "not-the-signing-secret"  # noqa: S105 - signs bad requests on purpose


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def envelope(ws: Workspace, event: JSON, event_id: str | None = None) -> JSON:
    """The ``event_callback`` wrapper Slack puts around every Events API event."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "context_team_id": ws.team_id,
        "context_enterprise_id": None,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or ws.new_id("Ev"),
        "event_time": ws.unix(),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-standin-{ws.team_id}",
    }


@dataclass(frozen=True)
class DeliveryResult:
    """How the bot answered one request; status None means it did not answer in time."""

    status: int | None
    body_text: str
    json: JSON | None
    elapsed_ms: float
    event_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class SlashResult:
    status: int | None
    body_text: str
    json: JSON | None
    response_url: str
    elapsed_ms: float
    trigger_id: str


class DeliveryError(RuntimeError):
    """The bot did not answer an event with 2xx; Slack would count a failure and retry."""

    def __init__(self, result: DeliveryResult) -> None:
        super().__init__(f"bot answered {result.status}: {result.body_text[:200]!r}")
        self.result = result


class EventBus:
    def __init__(self, secret: str, *, timeout: float, notify: Callable[[], None]) -> None:
        self.secret = secret
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self.session: aiohttp.ClientSession | None = None
        self._notify = notify
        self._tasks: set[asyncio.Task[DeliveryResult]] = set()

    def open(self) -> None:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()

    async def close(self, grace: float) -> None:
        """Let in-flight deliveries finish for up to ``grace`` seconds, cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def drain(self) -> None:
        """Wait until no background delivery is in flight, including ones started meanwhile."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def spawn(self, url: str | None, kind: str, payload: JSON) -> None:
        body = json.dumps(payload).encode()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._record(kind, payload, None, "no event loop running; not delivered")
            return
        task = loop.create_task(self.send(url, kind=kind, payload=payload, body=body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(
        self,
        url: str | None,
        *,
        kind: str,
        payload: JSON,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        bad_signature: bool = False,
    ) -> DeliveryResult:
        if url is None:
            self._record(kind, payload, None, "no events_url configured; not delivered")
            return DeliveryResult(None, "", None, 0.0)
        if self.session is None:
            self._record(kind, payload, None, "the stand-in is not started; not delivered")
            return DeliveryResult(None, "", None, 0.0)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        all_headers.update(sign(WRONG_SECRET if bad_signature else self.secret, body))
        started = time.perf_counter()
        try:
            async with self.session.post(
                url,
                data=body,
                headers=all_headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                text = await response.text()
                status: int | None = response.status
                parsed = (
                    _json_or_none(text) if response.content_type == "application/json" else None
                )
        except TimeoutError:
            status, text, parsed = None, "http_timeout", None
        except (aiohttp.ClientError, OSError) as exc:
            status, text, parsed = None, f"connection_failed: {exc!r}", None
        elapsed = (time.perf_counter() - started) * 1000
        self._record(kind, payload, status, text)
        return DeliveryResult(status, text, parsed, elapsed)

    def _record(self, kind: str, payload: JSON, status: int | None, body: str) -> None:
        self.deliveries.append(Delivery(kind, payload, status, body))
        self._notify()


def _json_or_none(text: str) -> JSON | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
