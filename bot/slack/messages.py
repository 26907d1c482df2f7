"""Turn rendered mrkdwn into Block Kit messages that stay inside Slack's limits.

A template separates blocks with a line `---`; a block starting with `[context]` becomes a
context block. Long sections are split at line breaks, and `to_dict()` of slack_sdk's models
checks the rest of Slack's limits.
"""

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FALLBACK_TEXT = 4000
MAX_TOPIC = 250
_SEPARATOR = "\n---\n"
_CONTEXT = "[context]"


@dataclass(frozen=True)
class SlackMessage:
    """A message to post: the notification `text` and the `blocks` people see."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    recorded_blocks: list[dict[str, Any]] | None = None
    """The blocks as they were recorded (an outbox effect's args): already checked by
    `to_dict()` when the message was composed, so sent as they are."""

    def block_dicts(self) -> list[dict[str, Any]]:
        if self.recorded_blocks is not None:
            return self.recorded_blocks
        return [block.to_dict() for block in self.blocks]


def with_part(message: SlackMessage, part: SlackMessage | None) -> SlackMessage:
    """`message` with `part` below it: its blocks, and its words in the fallback text."""
    if part is None:
        return message
    return SlackMessage(
        f"{message.text}\n{part.text}",
        recorded_blocks=[*message.block_dicts(), *part.block_dicts()],
    )


def _split(text: str, limit: int) -> list[str]:
    """Split at line breaks so each piece fits; a single over-long line is cut hard."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current:
        pieces.append(current)
    return pieces


def _blocks_for(chunk: str) -> list[Block]:
    if chunk.startswith(_CONTEXT):
        body = chunk.removeprefix(_CONTEXT).strip()
        return [
            ContextBlock(elements=[MarkdownTextObject(text=piece)])
            for piece in _split(body, MAX_SECTION)
        ]
    return [
        SectionBlock(text=MarkdownTextObject(text=piece)) for piece in _split(chunk, MAX_SECTION)
    ]


def build_message(mrkdwn: str, *, header: str | None = None, divider: bool = False) -> SlackMessage:
    """A message from rendered mrkdwn, with an optional plain-text header (cut to 150)."""
    blocks: list[Block] = []
    if header:
        blocks.append(
            HeaderBlock(text=PlainTextObject(text=truncate(header, MAX_HEADER), emoji=True))
        )
    for index, chunk in enumerate(c.strip() for c in mrkdwn.split(_SEPARATOR)):
        if not chunk:
            continue
        if divider and index:
            blocks.append(DividerBlock())
        blocks.extend(_blocks_for(chunk))
    if len(blocks) > MAX_BLOCKS:
        blocks = [
            *blocks[: MAX_BLOCKS - 1],
            ContextBlock(elements=[MarkdownTextObject(text="_(cut: too long for one message)_")]),
        ]
    fallback = mrkdwn.replace(_SEPARATOR, "\n").replace(_CONTEXT, "").strip()
    return SlackMessage(text=truncate(fallback, MAX_FALLBACK_TEXT), blocks=blocks)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
