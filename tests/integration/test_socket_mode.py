"""With SLACK_APP_TOKEN set, Slack's traffic arrives over Socket Mode; HTTP routes still serve."""

import asyncio

import aiohttp
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import SlackStandIn
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
    """Ask /readyz until its `slack` field says `state` (the link looks every second)."""
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
    assert "apps.connections.open, status: 503" in changes[1]["error"]
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
