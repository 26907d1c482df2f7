"""Small readers over the stand-in's state, so tests say what a person would see."""

import re
from collections.abc import Callable

from asyncpg import Record

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel, SlackStandIn
from bot.store.db import Pool
from tests.conftest import FakeClock


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


async def run_in(
    bot: Sandbox, channel: Channel, text: str, shows: str, user: str = "alice"
) -> None:
    """Run `/incident <text>` in the incident channel; wait until a message there `shows` it."""
    await bot.command(text, user=user, channel=channel.id)
    await message_in(bot, channel.id, shows)


async def shared_postmortem(bot: Sandbox, count: int = 1) -> str:
    """The text of the `count`-th post-mortem file the bot shared."""
    await bot.slack.wait_for(lambda s: len(s.files()) >= count)
    return bot.slack.files()[count - 1].content.decode()


async def resolved_postmortem(bot: Sandbox, channel: Channel, text: str = "Rolled back") -> str:
    """Resolve the incident and return the post-mortem the bot shared."""
    await bot.command(f"resolve {text}", channel=channel.id)
    return await shared_postmortem(bot)


def section(document: str, heading: str) -> str:
    """The body of one `## heading` (or `### heading`) section of a Markdown document."""
    start = document.index(heading + "\n") + len(heading) + 1
    following = [document.find("\n## ", start), len(document)]
    return document[start : min(i for i in following if i != -1)].strip()


def table_rows(document: str, heading: str) -> list[list[str]]:
    """The cells of each row of the table under `heading` (header rows left out); an escaped
    `\\|` stays inside its cell."""
    lines = [ln for ln in section(document, heading).splitlines() if ln.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines[2:]]


async def deliver_retries(bot: Sandbox, clock: FakeClock, *, rounds: int = 12) -> None:
    """Let the outbox's backoffs run out: move the clock past each, delivering what is due."""
    await bot.services.background.idle()
    for _ in range(rounds):
        clock.advance(seconds=11)
        await bot.services.dispatcher.settle()
