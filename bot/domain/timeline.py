"""The timeline: what an entry is, the kinds there are, and how a note is tagged.

The timeline is append-only. A message's edit, deletion or pin is an entry of its own that
carries the original message's Slack ts in `slack_ts`, so a message's history is every entry
with that ts, in order, and nothing is ever rewritten.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Entry kinds. System facts are stamped by the service that causes them."""

    DECLARED = "declared"
    UPDATE = "update"
    SEVERITY_CHANGED = "severity_changed"
    ROLE_ASSIGNED = "role_assigned"
    RESOLVED = "resolved"
    NOTE = "note"
    MESSAGE = "message"
    MESSAGE_EDITED = "message_edited"
    MESSAGE_DELETED = "message_deleted"
    PINNED = "pinned"
    REMINDER = "reminder"
    ALERT = "alert"
    ACTION_REQUESTED = "action_requested"
    ACTION_APPROVED = "action_approved"
    ACTION_DENIED = "action_denied"
    ACTION_REFUSED = "action_refused"
    ACTION_EXECUTED = "action_executed"
    ACTION_FAILED = "action_failed"
    ACTION_EXPIRED = "action_expired"
    ACTION_UNKNOWN = "action_unknown"


ABOUT_A_MESSAGE = frozenset({Kind.MESSAGE, Kind.MESSAGE_EDITED, Kind.MESSAGE_DELETED, Kind.PINNED})
"""Kinds whose `slack_ts` is the ts of the human message they are about."""

ACTION_KINDS = (
    Kind.ACTION_REQUESTED,
    Kind.ACTION_APPROVED,
    Kind.ACTION_DENIED,
    Kind.ACTION_REFUSED,
    Kind.ACTION_EXECUTED,
    Kind.ACTION_FAILED,
    Kind.ACTION_EXPIRED,
    Kind.ACTION_UNKNOWN,
)


@dataclass(frozen=True)
class Entry:
    """One stamped fact. `actor` is a Slack user id, or None for the bot and integrations."""

    at: datetime
    kind: str
    actor: str | None
    body: str
    slack_ts: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0


class NoteTag(StrEnum):
    """A note's post-mortem section, chosen by how the note starts (`root cause: …`)."""

    ROOT_CAUSE = "root_cause"
    ACTION_ITEM = "action_item"
    LESSON = "lesson"

    @property
    def label(self) -> str:
        return _TAG_LABELS[self]


_TAG_LABELS = {
    NoteTag.ROOT_CAUSE: "Root cause",
    NoteTag.ACTION_ITEM: "Action item",
    NoteTag.LESSON: "Lesson",
}
_TAG_PREFIXES = {
    "root cause": NoteTag.ROOT_CAUSE,
    "root-cause": NoteTag.ROOT_CAUSE,
    "action item": NoteTag.ACTION_ITEM,
    "action-item": NoteTag.ACTION_ITEM,
    "lesson": NoteTag.LESSON,
    "lesson learned": NoteTag.LESSON,
}


def tag_note(text: str) -> tuple[NoteTag | None, str]:
    """Split a leading `root cause:`, `action item:` or `lesson:` (any case) off a note.

    >>> tag_note("Root cause: expired cert")
    (<NoteTag.ROOT_CAUSE: 'root_cause'>, 'expired cert')
    """
    head, colon, rest = text.partition(":")
    tag = _TAG_PREFIXES.get(" ".join(head.lower().split())) if colon else None
    if tag is None or not rest.strip():
        return None, text.strip()
    return tag, rest.strip()


def describe_result(result: object) -> str:
    """An action's recorded outcome as one readable phrase for the post-mortem.

    The approvals ledger stores {status, summary, duration_ms, verify, dry_run}; anything else
    (an older or hand-written entry) is shown as it is.
    """
    if not isinstance(result, dict):
        return "" if result is None else str(result)
    parts = [str(result.get("status", "")), str(result.get("summary") or "")]
    if isinstance(result.get("duration_ms"), int | float):
        parts.append(f"{result['duration_ms']:.0f} ms")
    verify = result.get("verify")
    if verify:
        parts.append("verify: " + "; ".join(str(v) for v in verify))
    if result.get("dry_run"):
        parts.append("dry run")
    return " · ".join(p for p in parts if p)
