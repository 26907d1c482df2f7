"""Readers for follow-up tests: its message as people see it, its row, the owner's DMs."""

from typing import Any

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel, Message
from bot.store.db import Pool
from tests.integration.timers import action_ids

MARK = ":dart: *Follow-up:*"


def followup_messages(bot: Sandbox, channel: str) -> list[Message]:
    return [m for m in bot.slack.messages(channel, include_system=False) if MARK in m.text]


async def recorded(bot: Sandbox, channel: Channel, text: str, *, user: str = "alice") -> Message:
    """Run `/incident <text>` in the channel; the follow-up's message once it is posted."""
    before = len(followup_messages(bot, channel.id))
    await bot.command(text, user=user, channel=channel.id)
    await bot.slack.wait_for(lambda _: len(followup_messages(bot, channel.id)) > before)
    await bot.settle()
    return followup_messages(bot, channel.id)[-1]


def current(bot: Sandbox, message: Message) -> Message:
    """The message as Slack shows it now (after the bot's edits)."""
    found = bot.slack.find_message(message.channel, message.ts)
    assert found is not None
    return found


def buttons(message: Message) -> list[str]:
    return action_ids(message)


async def rows(db: Pool) -> list[dict[str, Any]]:
    async with db.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM followups ORDER BY id")]


def user_id(bot: Sandbox, name: str) -> str:
    return bot.slack.resolve_user(name)


def dms(bot: Sandbox, name: str) -> list[str]:
    """The bot's direct messages to a person, oldest first."""
    return [m.text for m in bot.slack.messages(f"@{name}")]
