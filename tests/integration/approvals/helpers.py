"""Reading the approval card and clicking its buttons as people do."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import SERVICES, create_web_app, running
from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox_settings
from bot.demo.standin import Channel, Message, SlackSender, SlackStandIn
from bot.domain.approval import ApprovalStatus
from bot.services.container import Services
from bot.store import incidents
from tests.conftest import FakeClock

CARD = "approvers:"
"""In the card's context line, whatever its state (its header changes with the state)."""


def cards(slack: SlackStandIn, channel: str) -> list[Message]:
    return [m for m in slack.messages(channel) if CARD in m.text and not m.is_reply]


async def request(bot: Sandbox, channel: Channel, text: str, *, user: str = "alice") -> Message:
    """Type `/incident <text>` in the incident channel and return the card it posts."""
    before = len(cards(bot.slack, channel.id))
    await bot.command(text, user=user, channel=channel.id)
    await bot.slack.wait_for(lambda s: len(cards(s, channel.id)) > before)
    await settled(bot.services)
    return cards(bot.slack, channel.id)[-1]


async def click(bot: Sandbox, user: str, card: Message, button: str = "approve") -> None:
    """Click Approve or Deny on the card as `user`, and wait for the bot to finish with it."""
    result = await bot.sender.click(user, card.channel, card.ts, f"approval.{button}")
    assert result.status == 200
    await settled(bot.services)


async def settled(services: Services) -> None:
    """Wait until the work after the acks is done and what it recorded has been delivered."""
    await services.background.idle()
    await services.dispatcher.settle()


def buttons(card: Message) -> list[dict[str, object]]:
    return [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]]


def thread(slack: SlackStandIn, card: Message) -> list[str]:
    return [m.text for m in slack.replies(card.channel, card.ts)]


async def status_of(bot: Sandbox, request_id: int = 1) -> ApprovalStatus:
    async with bot.services.pool.acquire() as conn:
        return ApprovalStatus(
            await conn.fetchval("SELECT status FROM approval_requests WHERE id = $1", request_id)
        )


async def stamps(bot: Sandbox) -> list[tuple[str, str | None, dict[str, object]]]:
    """The action_* timeline entries, oldest first: (kind, actor, data)."""
    async with bot.services.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, actor, data FROM timeline_entries WHERE kind LIKE 'action_%' ORDER BY id"
        )
    return [(r["kind"], r["actor"], r["data"]) for r in rows]


async def incident_channel(bot: Sandbox, *members: str) -> Channel:
    """An open SEV-1 that alice declared, its channel joined by `members` too.

    Made directly (a channel in the stand-in, a row in the store): declaring has tests of its
    own, and these tests are about what happens inside the channel afterwards.
    """
    alice = bot.slack.resolve_user("alice")
    channel = bot.slack.add_channel(
        f"incident-20261124-{len(bot.slack.channels):03d}",
        members=["incident-bot", alice, *members],
    )
    async with bot.services.pool.acquire() as conn:
        await incidents.insert(
            conn,
            channel_id=channel.id,
            channel_name=channel.name,
            title="Checkout errors",
            severity="sev1",
            declared_by=alice,
            declared_at=bot.services.clock(),
            commander=alice,
        )
    return channel


@asynccontextmanager
async def replica(
    box: Sandbox, migrated: str, clock: FakeClock, environ: dict[str, str], policy: Policy
) -> AsyncIterator[tuple[SlackSender, Services]]:
    """A second bot process on the same database and workspace, with its own request URL."""
    app = create_web_app(
        sandbox_settings(box.slack, database_url=migrated),
        policy,
        clock,
        run_scheduler=False,
        environ=environ,
    )
    async with running(app) as url:
        yield SlackSender(box.slack, url=f"{url}/slack/events"), app[SERVICES]
