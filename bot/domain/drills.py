"""Drills: practice incidents, and the DRILL mark on every message the bot sends about one.

Every message about a drill passes through `marked` when its effect is recorded
(`bot.store.outbox`), whichever service composed it — so a message added later (a checklist,
a report) is marked without knowing drills exist. The mark is a context block at the top of
the message and a prefix of its notification text, and it is added once: a message recorded
again (a channel's first message, an edited card) keeps the one mark it has.

    marked("post", {"text": "Update #1", "blocks": [...]})
    → {"text": "[DRILL] Update #1", "blocks": [<DRILL context block>, ...]}

Integrations with other systems check `Incident.is_drill` before they call out and, in a drill,
call nothing and post in the channel that they skipped the call (what they would have sent, to
whom): a drill wakes nobody. Paging does (`bot.services.paging`); a status page will.
"""

from dataclasses import dataclass
from typing import Any

DRILL_TEXT = "[DRILL]"
"""How a drill's messages begin in notifications and in the channel's text."""

DRILL_BANNER = (
    ":construction: *DRILL* — a practice run, not a real incident: nobody is paged, "
    "every action runs as a dry run."
)
"""The context block at the top of every message about a drill."""

MAX_BLOCKS = 50
MAX_TOPIC = 250

_BANNER_BLOCK: dict[str, Any] = {
    "type": "context",
    "elements": [{"type": "mrkdwn", "text": DRILL_BANNER}],
}

MESSAGE_METHODS = frozenset(
    {"post", "update", "ephemeral", "respond", "create_channel", "set_topic", "share_file"}
)
"""The effects that show people words: those are marked."""


@dataclass(frozen=True)
class ChecklistCompletion:
    """How far one of the incident's checklists got, for the drill report: `done` of `total`."""

    title: str
    done: int
    total: int


def announce_channel(is_drill: bool, announce: str, drill_channel: str | None) -> str:
    """Where an incident is announced: a drill in the policy's `drill_channel` when it has one."""
    return (drill_channel or announce) if is_drill else announce


def marked(method: str, args: dict[str, Any]) -> dict[str, Any]:
    """An effect's args with its words marked DRILL (unchanged if they already are)."""
    if method == "create_channel":
        return {**args, "first": _marked_message(args["first"])}
    if method == "set_topic":
        return {**args, "topic": _prefixed(str(args["topic"]), MAX_TOPIC)}
    if method == "share_file":
        return {**args, "initial_comment": _prefixed(str(args["initial_comment"]), 4000)}
    if method in MESSAGE_METHODS:
        return _marked_message(args)
    return args


def _marked_message(message: dict[str, Any]) -> dict[str, Any]:
    blocks = list(message.get("blocks") or [])
    if not blocks or blocks[0] != _BANNER_BLOCK:
        blocks = [_BANNER_BLOCK, *blocks][:MAX_BLOCKS]
    return {**message, "text": _prefixed(str(message.get("text", "")), 4000), "blocks": blocks}


def _prefixed(text: str, limit: int) -> str:
    if text.startswith(DRILL_TEXT):
        return text
    whole = f"{DRILL_TEXT} {text}"
    return whole if len(whole) <= limit else whole[: limit - 1] + "…"
