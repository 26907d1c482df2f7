"""The bot running against the Slack stand-in: what the demo, the tests and the benchmarks drive.

Everything is real except Slack itself: the bot serves HTTP on loopback, its slack_sdk client
calls the stand-in's Web API, and the stand-in's sender signs requests into the bot.
"""

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot.app import SERVICES, create_web_app, running
from bot.config import Policy, Settings
from bot.demo.apis import OtherApis
from bot.demo.standin import Channel, SlackSender, SlackStandIn, SlashResult
from bot.domain.clock import Clock, system_clock
from bot.services.container import Services

PEOPLE = ("alice", "bob", "carol", "dave")


@dataclass
class Sandbox:
    slack: SlackStandIn
    sender: SlackSender
    services: Services
    url: str
    apis: OtherApis
    """The other systems' stand-ins (PagerDuty, Statuspage, GitHub, Jira)."""

    async def command(
        self, text: str, *, user: str = "alice", channel: str = "incidents"
    ) -> SlashResult:
        """Type `/incident <text>` as `user` in `channel`; returns the bot's ack."""
        return await self.sender.slash(text, user=user, channel=channel)

    async def settle(self) -> None:
        """Wait until what was asked so far has run and its effects have reached Slack."""
        await self.services.background.idle()
        await self.services.dispatcher.settle()

    async def declare(self, text: str = "sev1 Checkout errors", *, user: str = "alice") -> Channel:
        """Declare and wait until the channel is set up: initial message pinned, announced."""
        return await self._opened(f"declare {text}", user, self.services.policy.announce_channel)

    async def drill(
        self, text: str = "sev2 Kill switch practice", *, user: str = "alice"
    ) -> Channel:
        """`/incident drill`, waiting as `declare` does (the announcement: in `drill_channel`)."""
        policy = self.services.policy
        return await self._opened(
            f"drill {text}", user, policy.drill_channel or policy.announce_channel
        )

    async def _opened(self, command: str, user: str, announce: str) -> Channel:
        before = {c.id for c in self.slack.channels.values()}
        await self.command(command, user=user)

        def ready(slack: SlackStandIn) -> bool:
            new = [c for c in slack.channels.values() if c.id not in before]
            return (
                bool(new)
                and bool(new[0].pins)
                and bool(new[0].topic)
                and slack.messages(announce) != []
            )

        await self.slack.wait_for(ready)
        return next(c for c in self.slack.channels.values() if c.id not in before)


def sandbox_settings(
    slack: SlackStandIn, *, database_url: str | None, **overrides: object
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr(slack.bot_token),
        "slack_signing_secret": SecretStr(slack.signing_secret),
        "slack_api_url": slack.api_url,
        "database_url": SecretStr(database_url) if database_url else None,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings' own kwarg


@asynccontextmanager
async def sandbox(
    *,
    database_url: str | None,
    policy: Policy | None = None,
    clock: Clock = system_clock,
    people: Iterable[str] = PEOPLE,
    slack: SlackStandIn | None = None,
    environ: Mapping[str, str] | None = None,
    apis: OtherApis | None = None,
    **settings: object,
) -> AsyncIterator[Sandbox]:
    """A stand-in workspace with `people`, the announce (and drill) channel, and the bot serving it.

    The scheduler loop does not run here: the clock may be scripted, so callers move it and
    call `services.scheduler.run_due()`. `apis`: the other systems' stand-ins, started by the
    caller when the policy must name their URLs (`apis.url("pagerduty")`).
    """
    policy = policy or Policy()
    # One clock for both sides: Slack's message timestamps and the bot's stamps move together.
    async with (
        slack or SlackStandIn(now=lambda: clock().timestamp()) as standin,
        _started(apis) as others,
    ):
        for name in people:
            if standin.user_by_name(name) is None:
                standin.add_user(name)
        for announce in filter(None, (policy.announce_channel, policy.drill_channel)):
            if standin.channel(announce) is None:
                standin.add_channel(announce, members=[*people, "incident-bot"])
        app = create_web_app(
            sandbox_settings(standin, database_url=database_url, **settings),
            policy,
            clock,
            environ=environ,
            run_scheduler=False,
        )
        async with running(app) as url:
            standin.events_url = f"{url}/slack/events"
            yield Sandbox(standin, SlackSender(standin), app[SERVICES], url, others)
            await standin.drain()


@asynccontextmanager
async def _started(apis: OtherApis | None) -> AsyncIterator[OtherApis]:
    """The caller's stand-ins (started and stopped by the caller), or new ones for this block."""
    if apis is not None:
        yield apis
        return
    async with OtherApis() as started:
        yield started
