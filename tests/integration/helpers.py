"""Small readers over the stand-in's state, so tests say what a person would see."""

from collections.abc import Callable

from asyncpg import Record

from bot.sandbox import Sandbox
from bot.standin import SlackStandIn
from bot.store.db import Pool


def texts(slack: SlackStandIn, channel: str) -> list[str]:
    """The bot's and people's messages in a channel (system messages left out), oldest first."""
    return [m.text for m in slack.messages(channel, include_system=False)]


async def reply_to(bot: Sandbox, user: str, containing: str) -> str:
    """Wait for an ephemeral reply to `user` containing `containing`; return its text."""

    def has_reply(slack: SlackStandIn) -> bool:
        return any(containing in e.text for e in slack.ephemerals(user))

    await bot.slack.wait_for(has_reply)
    return next(e.text for e in bot.slack.ephemerals(user) if containing in e.text)


async def message_in(bot: Sandbox, channel: str, containing: str) -> str:
    def has_message(slack: SlackStandIn) -> bool:
        return any(containing in text for text in texts(slack, channel))

    await bot.slack.wait_for(has_message)
    return next(text for text in texts(bot.slack, channel) if containing in text)


async def as_slack_does(bot: Sandbox, change: Callable[[], object]) -> None:
    """Make a change in the stand-in and deliver, signed, every event Slack would send for it."""
    with bot.slack.capturing() as events:
        change()
    for event in events:
        result = await bot.sender.event(event)
        assert result.ok, result


async def stamped(db: Pool, *kinds: str) -> list[Record]:
    """Timeline rows in timeline order, of the given kinds (all kinds when none are given)."""
    async with db.acquire() as conn:
        return await conn.fetch(
            """SELECT kind, actor, body, slack_ts, at, data FROM timeline_entries
               WHERE cardinality($1::text[]) = 0 OR kind = ANY($1::text[]) ORDER BY at, id""",
            list(kinds),
        )
