"""The Socket Mode connection, kept in the background and watched: one log line per change.

slack_sdk's client connects and reconnects by itself (every ten seconds while Slack is away),
but it logs a traceback for each failed attempt and says nothing when it succeeds. Here its
attempts are summed up instead: `socket_mode_connecting`, `socket_mode_unavailable` (once per
distinct reason), `socket_mode_connected`, `socket_mode_disconnected`; and `state` is what
`/readyz` reports.
"""

import asyncio
import logging
from typing import Literal

import structlog
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = structlog.get_logger(__name__)

SocketState = Literal["socket_connecting", "socket_connected"]

_SDK_LOGGER = "slack_sdk.socket_mode"
_ATTEMPT_FAILED = ("Failed to connect", "Failed to retrieve WSS URL")


class _FailedAttempts(logging.Filter):
    """Drops the SDK's line (and traceback) per failed attempt, keeping the reason for the link."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(_ATTEMPT_FAILED):
            return True
        error = record.exc_info[1] if record.exc_info else None
        self.reason = (str(error) if error else record.getMessage()).splitlines()[0][:200]
        return False


class SocketModeLink:
    """Socket Mode for one Bolt app: `run()` connects and watches until cancelled."""

    def __init__(self, bolt: AsyncApp, app_token: str, *, check_every: float = 1.0) -> None:
        self._sdk_log = logging.getLogger(_SDK_LOGGER)
        self._failures = _FailedAttempts()
        self.handler = AsyncSocketModeHandler(bolt, app_token, logger=self._sdk_log)
        self.check_every = check_every
        self.state: SocketState = "socket_connecting"
        self._reported: str | None = None

    async def run(self) -> None:
        """Connect in the background and log each change of state; cancel to stop."""
        self._sdk_log.addFilter(self._failures)
        log.info("socket_mode_connecting")
        connecting = asyncio.create_task(self.handler.connect_async(), name="socket-mode")  # type: ignore[no-untyped-call]
        try:
            while True:
                await self._observe()
                await asyncio.sleep(self.check_every)
        finally:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
            await self.handler.close_async()  # type: ignore[no-untyped-call]
            self._sdk_log.removeFilter(self._failures)

    async def _observe(self) -> None:
        connected = bool(await self.handler.client.is_connected())
        if connected and self.state != "socket_connected":
            self.state, self._reported, self._failures.reason = "socket_connected", None, None
            log.info("socket_mode_connected")
        elif not connected and self.state == "socket_connected":
            self.state = "socket_connecting"
            log.warning("socket_mode_disconnected")
        reason = self._failures.reason
        if not connected and reason is not None and reason != self._reported:
            self._reported = reason
            log.warning("socket_mode_unavailable", error=reason, retrying=True)
