"""Reading a checklist message as people see it, and ticking its boxes as they do."""

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel, Message, SlackStandIn


def checklist(slack: SlackStandIn, channel: str, title: str) -> Message | None:
    """The checklist message whose header starts with `title`."""
    return next(
        (m for m in slack.messages(channel) if m.blocks and _header(m).startswith(title)), None
    )


def _header(message: Message) -> str:
    block = (message.blocks or [{}])[0]
    return str(block.get("text", {}).get("text", "")) if block.get("type") == "header" else ""


def header(message: Message) -> str:
    return _header(message)


def boxes(message: Message) -> list[dict[str, object]]:
    return [
        e
        for b in message.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "checkboxes"
    ]


def ticked(message: Message) -> dict[str, str]:
    """Each ticked item's text, with what its description says (who, when)."""
    found = {}
    for element in boxes(message):
        for option in element.get("initial_options") or []:  # type: ignore[attr-defined]
            found[option["text"]["text"]] = option.get("description", {}).get("text", "")
    return found


async def posted(bot: Sandbox, channel: Channel, title: str) -> Message:
    await bot.slack.wait_for(lambda s: checklist(s, channel.id, title) is not None)
    found = checklist(bot.slack, channel.id, title)
    assert found is not None
    return found


async def tick(bot: Sandbox, user: str, message: Message, item: str) -> None:
    """Click the box of `item` as `user`, and wait until the bot is done with it."""
    result = await bot.sender.tick(user, message.channel, message.ts, item)
    assert result.status == 200, result
    await bot.settle()
