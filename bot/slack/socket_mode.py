"""The Socket Mode connection, kept in the background and watched: one log line per change.

slack_sdk's client retries a failed connection by itself every ten seconds, forever, with a
traceback each time, and says nothing when it succeeds. Here the link owns the retrying: it
asks the SDK for one attempt at a time (`issue_new_wss_url()`, then `connect()`), waits 1 s,
2 s, 4 s … up to a minute between failures (`bot.domain.backoff`), starts again from 1 s once
connected, and reconnects the same way when the socket drops (the SDK's auto-reconnect is off).
It logs `socket_mode_connecting`, `socket_mode_unavailable` (once per distinct reason, with the
next wait), `socket_mode_connected` and `socket_mode_disconnected`; `state` is what `/readyz`
reports.
"""

import asyncio
import logging
import random
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import structlog
from aiohttp import ClientResponseError, WSMessage
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.backoff import retry_delay
from bot.wakeup import woken

log = structlog.get_logger(__name__)

SocketState = Literal["socket_connecting", "socket_connected"]
Sleep = Callable[[float], Awaitable[None]]

_SDK_LOGGER = "slack_sdk.socket_mode"


class _SdkLog(logging.Logger):
    """The SDK client's logger: its line (and traceback) per failed attempt is taken out and
    kept as the attempt's reason; every other line goes on to `slack_sdk.socket_mode`.

    The SDK says an attempt at the WebSocket failed only by logging it (then sleeps and tries
    again); overriding the methods, not filtering records, sees it at any log level.
    """

    def __init__(self) -> None:
        super().__init__(f"{_SDK_LOGGER}.link")
        self.parent = logging.getLogger(_SDK_LOGGER)
        self.failed = asyncio.Event()
        self.reason: str | None = None

    def forget(self) -> None:
        self.failed.clear()
        self.reason = None

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if not str(msg).startswith("Failed to connect"):
            super().exception(msg, *args, **kwargs)
            return
        error = sys.exc_info()[1]
        self.reason = _reason(error) if error is not None else str(msg)
        self.failed.set()

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if not str(msg).startswith("Failed to retrieve WSS URL"):  # the link reports it
            super().error(msg, *args, **kwargs)


class SocketModeLink:
    """Socket Mode for one Bolt app: `run()` connects and watches until cancelled.

    `sleep` waits out the backoff and `draw` is its random part (tests pass their own);
    `check_every` is how often a connected socket is looked at for staleness (a closed one
    wakes the link at once).
    """

    def __init__(
        self,
        bolt: AsyncApp,
        app_token: str,
        *,
        sleep: Sleep = asyncio.sleep,
        draw: Callable[[], float] = random.random,
        check_every: float = 1.0,
    ) -> None:
        self._sdk_log = _SdkLog()
        self.handler = AsyncSocketModeHandler(bolt, app_token, logger=self._sdk_log)
        self.client = self.handler.client
        self.client.default_auto_reconnect_enabled = self.client.auto_reconnect_enabled = False
        self.client.on_close_listeners.append(self._woken)
        self.client.on_error_listeners.append(self._woken)
        self._wake = asyncio.Event()
        self._sleep, self._draw, self.check_every = sleep, draw, check_every
        self.state: SocketState = "socket_connecting"

    async def run(self) -> None:
        """Connect in the background and log each change of state; cancel to stop."""
        log.info("socket_mode_connecting")
        try:
            while True:
                await self._connect_with_backoff()
                self.state = "socket_connected"
                log.info("socket_mode_connected")
                await self._watch()
                self.state = "socket_connecting"
                log.warning("socket_mode_disconnected")
        finally:
            await self.handler.close_async()  # type: ignore[no-untyped-call]

    async def _connect_with_backoff(self) -> None:
        """Attempt until one succeeds, waiting longer after each failure; the first try is now."""
        failures, reported = 0, None
        while (reason := await self._attempt()) is not None:
            failures += 1
            delay = retry_delay(failures, self._draw())
            if reason != reported:
                reported = reason
                log.warning(
                    "socket_mode_unavailable", error=reason, retry_in_seconds=round(delay, 1)
                )
            await self._sleep(delay)

    async def _attempt(self) -> str | None:
        """One attempt: a fresh URL from `apps.connections.open` (through Bolt's client, so at
        `SLACK_API_URL`), then the WebSocket. Why it failed, or None once connected."""
        async with self.client.connect_operation_lock:
            if await self.client.is_connected():  # the SDK reconnected itself (Slack asked it to)
                return None
            try:
                self.client.wss_uri = await self.client.issue_new_wss_url()
            except Exception as error:  # anything from the network or Slack is retried, never fatal
                return _reason(error)
            return await self._open_socket()

    async def _open_socket(self) -> str | None:
        """The SDK's `connect()`, stopped at its first failure (it would retry by itself every
        ping interval, with the same URL): the backoff decides when to try again."""
        self._sdk_log.forget()
        connecting = asyncio.ensure_future(self.client.connect())  # type: ignore[no-untyped-call]
        failing = asyncio.ensure_future(self._sdk_log.failed.wait())
        try:
            await asyncio.wait((connecting, failing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            connecting.cancel()
            failing.cancel()
            await asyncio.gather(connecting, failing, return_exceptions=True)
        return self._sdk_log.reason

    async def _watch(self) -> None:
        """Return once the socket is lost: closed by Slack (wakes at once) or gone stale."""
        while await self.client.is_connected():
            self._wake.clear()
            await woken(self._wake, self.check_every)

    async def _woken(self, message: WSMessage) -> None:
        self._wake.set()


def _reason(error: BaseException) -> str:
    """One line an operator can act on: Slack's error code, or the network's first line."""
    if isinstance(error, SlackApiError):
        body = error.response.data if isinstance(error.response.data, dict) else {}
        status = error.response.status_code
        answer = f"{body.get('error', 'no error code')}" + (
            f" (HTTP {status})" if status != 200 else ""
        )
        return f"apps.connections.open: {answer}"
    if isinstance(error, ClientResponseError):  # its text names the URL, new at each attempt
        return f"the WebSocket was refused: HTTP {error.status} {error.message}"
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
