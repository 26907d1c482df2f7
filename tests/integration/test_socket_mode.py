"""With SLACK_APP_TOKEN set, Slack's traffic arrives over Socket Mode; HTTP routes still serve."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from pydantic import SecretStr
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from structlog.testing import capture_logs

from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import SlackStandIn
from bot.slack.socket_mode import SocketModeLink
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in


async def test_commands_over_socket_mode_declare_an_incident(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    slack = SlackStandIn()
    async with sandbox(
        database_url=migrated,
        clock=clock,
        slack=slack,
        slack_app_token=SecretStr(slack.socket_mode.app_token),
    ) as bot:
        await asyncio.wait_for(slack.socket_mode.connected.wait(), timeout=5)
        help_ack = await bot.sender.slash(
            "help", user="alice", channel="incidents", via_socket_mode=True
        )
        assert help_ack.status == 200
        assert help_ack.json is not None
        assert "*declare* —" in help_ack.json["text"]

        await bot.sender.slash(
            "declare sev2 Over the socket", user="alice", channel="incidents", via_socket_mode=True
        )
        announced = await message_in(bot, "incidents", "Over the socket")
        assert "SEV-2 High" in announced
        async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/healthz") as health:
            assert health.status == 200


async def readiness(http: aiohttp.ClientSession, bot: Sandbox) -> tuple[int, object]:
    async with http.get(f"{bot.url}/readyz") as answer:
        return answer.status, await answer.json()


async def slack_field_becomes(http: aiohttp.ClientSession, bot: Sandbox, state: str) -> None:
    """Ask /readyz until its `slack` field says `state` (the link sets it as the socket changes)."""
    async with asyncio.timeout(5):
        while (await readiness(http, bot))[1] != {"ok": True, "slack": state}:  # noqa: ASYNC110 - polled as a monitor polls it
            await asyncio.sleep(0.05)


async def test_http_routes_serve_while_slack_refuses_the_socket(
    db: Pool, migrated: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    slack = SlackStandIn()
    slack.outage(None)  # Slack is away when the bot starts
    with capture_logs() as logs:
        async with (
            sandbox(
                database_url=migrated,
                clock=clock,
                slack=slack,
                slack_app_token=SecretStr(slack.socket_mode.app_token),
            ) as bot,
            aiohttp.ClientSession() as http,
        ):
            for route in ("/healthz", "/metrics"):
                async with http.get(f"{bot.url}{route}") as answer:
                    assert answer.status == 200, route
            assert await readiness(http, bot) == (200, {"ok": True, "slack": "socket_connecting"})
            assert not slack.socket_mode.connected.is_set()

            slack.end_outage()
            await asyncio.wait_for(slack.socket_mode.connected.wait(), timeout=15)
            help_ack = await bot.sender.slash(
                "help", user="alice", channel="incidents", via_socket_mode=True
            )
            assert help_ack.status == 200
            await slack_field_becomes(http, bot, "socket_connected")
    changes = [line for line in logs if line["event"].startswith("socket_mode_")]
    assert [line["event"] for line in changes] == [
        "socket_mode_connecting",
        "socket_mode_unavailable",
        "socket_mode_connected",
    ]
    assert changes[1]["error"] == "apps.connections.open: service_unavailable (HTTP 503)"
    ready = next(line for line in logs if line["event"] == "bot_ready")
    assert ready["mode"] == "socket"
    assert not [r for r in caplog.records if "Failed to" in r.getMessage()], "no SDK traceback"


async def test_only_the_app_level_token_opens_a_socket(db: Pool) -> None:
    async with SlackStandIn() as slack, aiohttp.ClientSession() as http:
        for token, error in (("xoxb-standin", "invalid_auth"), ("", "not_authed")):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.post(
                f"{slack.api_url}apps.connections.open", headers=headers
            ) as answer:
                assert (await answer.json())["error"] == error


def pinging_app(slack: SlackStandIn) -> AsyncApp:
    """A Bolt app at the stand-in that answers `/ping` with `pong`, to tell a live socket."""
    bolt = AsyncApp(
        client=AsyncWebClient(base_url=slack.api_url, token=slack.bot_token),
        signing_secret=slack.signing_secret,
    )

    @bolt.command("/ping")
    async def pong(ack: AsyncAck) -> None:
        await ack("pong")

    return bolt


class Waits:
    """The link's injected sleep: records each wait and returns at once; at the `back_after`th
    one, Slack comes back (`back()`, by default the end of the stand-in's outage)."""

    def __init__(
        self, slack: SlackStandIn, back_after: int, back: Callable[[], None] | None = None
    ) -> None:
        self.back_after, self.back = back_after, back or slack.end_outage
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if len(self.asked) == self.back_after:
            self.back()
        await asyncio.sleep(0)


@asynccontextmanager
async def linked(
    slack: SlackStandIn, waits: Waits, app_token: str | None = None
) -> AsyncIterator[SocketModeLink]:
    """The link running against the stand-in, with the app token it accepts unless told."""
    token = app_token or slack.socket_mode.app_token
    link = SocketModeLink(pinging_app(slack), token, sleep=waits, draw=lambda: 0.0)
    running = asyncio.create_task(link.run())
    try:
        yield link
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def connected(link: SocketModeLink, slack: SlackStandIn) -> None:
    """Wait until the link says it is connected, then prove it: `/ping` over the socket."""
    async with asyncio.timeout(5):
        while link.state != "socket_connected":  # noqa: ASYNC110 - polled as /readyz polls it
            await asyncio.sleep(0.01)
    ack = await slack.socket_mode.send("slash_commands", {"command": "/ping", "text": ""})
    assert ack == {"text": "pong"}


async def waited(waits: Waits, count: int) -> None:
    """Until the link has asked to wait `count` times (its attempts, not time, are awaited)."""
    async with asyncio.timeout(5):
        while len(waits.asked) < count:  # noqa: ASYNC110 - polled: the link has no event for it
            await asyncio.sleep(0.01)


def opened(slack: SlackStandIn) -> int:
    return sum(call.method == "apps.connections.open" for call in slack.calls)


async def test_attempts_back_off_while_slack_is_away_then_connect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with SlackStandIn() as slack:
        slack.outage(None)
        waits = Waits(slack, back_after=5)
        with capture_logs() as logs:
            async with linked(slack, waits) as link:
                await connected(link, slack)
    assert waits.asked == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert opened(slack) == 6, "one attempt now, then one after each wait"
    changes = [line for line in logs if line["event"].startswith("socket_mode_")]
    assert [line["event"] for line in changes] == [
        "socket_mode_connecting",
        "socket_mode_unavailable",
        "socket_mode_connected",
    ]
    assert changes[1]["error"] == "apps.connections.open: service_unavailable (HTTP 503)"
    assert changes[1]["retry_in_seconds"] == 1.0
    assert not [r for r in caplog.records if "Failed to" in r.getMessage()], "no SDK traceback"


async def test_a_dropped_socket_reconnects_with_the_backoff_started_over() -> None:
    async with SlackStandIn() as slack:
        waits = Waits(slack, back_after=3)
        with capture_logs() as logs:
            async with linked(slack, waits) as link:
                await connected(link, slack)
                assert waits.asked == []
                slack.outage(None)
                await slack.socket_mode.close()
                await waited(waits, 3)
                await connected(link, slack)
    assert waits.asked == [1.0, 2.0, 4.0]
    assert [line["event"] for line in logs if line["event"].startswith("socket_mode_")] == [
        "socket_mode_connecting",
        "socket_mode_connected",
        "socket_mode_disconnected",
        "socket_mode_unavailable",
        "socket_mode_connected",
    ]


async def test_a_refused_websocket_is_retried_by_the_link_not_by_the_sdk() -> None:
    async with SlackStandIn() as slack:
        slack.socket_mode.refusing = True

        def accept() -> None:
            slack.socket_mode.refusing = False

        waits = Waits(slack, back_after=3, back=accept)
        with capture_logs() as logs:
            async with linked(slack, waits) as link:
                await connected(link, slack)
    assert waits.asked == [1.0, 2.0, 4.0]
    assert opened(slack) == 4, "each attempt asks for a fresh URL"
    unavailable = [line for line in logs if line["event"] == "socket_mode_unavailable"]
    assert [line["error"] for line in unavailable] == [
        "the WebSocket was refused: HTTP 503 Invalid response status"
    ]


async def test_a_refused_app_token_is_the_reason_given_once() -> None:
    async with SlackStandIn() as slack:
        waits = Waits(slack, back_after=0)
        with capture_logs() as logs:
            async with linked(slack, waits, app_token="xapp-another-app") as link:
                await waited(waits, 3)
                assert link.state == "socket_connecting"
    assert waits.asked[:3] == [1.0, 2.0, 4.0]
    unavailable = [line for line in logs if line["event"] == "socket_mode_unavailable"]
    assert [line["error"] for line in unavailable] == ["apps.connections.open: invalid_auth"]
