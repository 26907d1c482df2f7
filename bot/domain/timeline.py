"""The timeline: what an entry is, the kinds there are, and how a note is tagged.

The timeline is append-only. A message's edit, deletion or pin is an entry of its own that
carries the original message's Slack ts in `slack_ts`, so a message's history is every entry
with that ts, in order, and nothing is ever rewritten.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Section(StrEnum):
    """The part of the story an entry tells, which decides how a document shows it.

    Templates choose an entry's look by its section, never by its kind, so a new kind joins a
    section (and gets a label) instead of a branch in every template an operator may override.
    """

    MESSAGE = "message"
    """A person's message in the channel."""
    EDIT = "edit"
    """A person's edit of a message (`about` says which)."""
    DELETION = "deletion"
    """A message deleted (`about` says which); its text is never shown again."""
    KEY_EVENT = "key_event"
    """A message a person pinned."""
    NOTE = "note"
    """A `/incident note`, tagged for a post-mortem section or not."""
    UPDATE = "update"
    """A status update; its status is shown next to its number."""
    DECLARATION = "declaration"
    """The declaration: its words are its headline."""
    RESOLUTION = "resolution"
    """The resolution and what fixed it."""
    CHANGE = "change"
    """A new severity or a role given to someone: "label: what it became"."""
    REMINDER = "reminder"
    """What the bot did on its own about the cadence: reminders, snoozes, escalations."""
    ALERT = "alert"
    """Alerts attached to the incident."""
    ACTION = "action"
    """A step of a requested action: requested, approved, refused, executed…"""
    CHECKLIST = "checklist"
    """An item of a runbook checklist ticked or unticked: "checklist: item"."""
    FOLLOWUP = "followup"
    """A follow-up recorded, done or dropped (even after the incident is resolved)."""
    INTEGRATION = "integration"
    """What the bot did in another system for the incident (a page sent, resolved, refused, or
    skipped in a drill): its body is a whole sentence."""
    COMMUNICATION = "communication"
    """A public statement: requested, approved word for word (or denied, or left to expire),
    then published (or refused) by the page. Its status is shown beside its words."""


class Kind(StrEnum):
    """Every kind of entry written. System facts are stamped by the service that causes them.

    The values are what the `timeline_entries.kind` column holds: never change one.
    """

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
    REMINDER_SNOOZED = "reminder_snoozed"
    ESCALATION = "escalation"
    ALERT_ATTACHED = "alert_attached"
    ACTION_REQUESTED = "action_requested"
    ACTION_APPROVED = "action_approved"
    ACTION_DENIED = "action_denied"
    ACTION_REFUSED = "action_refused"
    ACTION_EXECUTED = "action_executed"
    ACTION_FAILED = "action_failed"
    ACTION_EXPIRED = "action_expired"
    ACTION_UNKNOWN = "action_unknown"
    CHECKLIST_ITEM_CHECKED = "checklist_item_checked"
    CHECKLIST_ITEM_UNCHECKED = "checklist_item_unchecked"
    FOLLOWUP_RECORDED = "followup_recorded"
    FOLLOWUP_DONE = "followup_done"
    FOLLOWUP_DROPPED = "followup_dropped"
    PAGED = "paged"
    PAGE_RESOLVED = "page_resolved"
    PAGE_FAILED = "page_failed"
    PAGE_SKIPPED = "page_skipped"
    STATEMENT_REQUESTED = "statement_requested"
    STATEMENT_VOTE = "statement_vote"
    STATEMENT_APPROVAL_REFUSED = "statement_approval_refused"
    STATEMENT_APPROVED = "statement_approved"
    STATEMENT_DENIED = "statement_denied"
    STATEMENT_EXPIRED = "statement_expired"
    STATEMENT_PUBLISHED = "statement_published"
    STATEMENT_REFUSED = "statement_refused"

    @property
    def label(self) -> str:
        """The kind as people read it: `Action requested`, `Reminder snoozed`."""
        return (
            _LABELS.get(self)
            or self.value.replace("_", " ").replace("followup", "follow-up").capitalize()
        )

    @property
    def section(self) -> Section:
        return _SECTIONS[self]

    @property
    def step(self) -> str:
        """An action kind's step (`requested`, `executed`); empty for any other kind."""
        return self.value.removeprefix("action_") if self in ACTION_KINDS else ""


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

STATEMENT_KINDS = (
    Kind.STATEMENT_REQUESTED,
    Kind.STATEMENT_VOTE,
    Kind.STATEMENT_APPROVAL_REFUSED,
    Kind.STATEMENT_APPROVED,
    Kind.STATEMENT_DENIED,
    Kind.STATEMENT_EXPIRED,
    Kind.STATEMENT_PUBLISHED,
    Kind.STATEMENT_REFUSED,
)
"""A public statement's steps: its approval's (stamped by the actions' ledger under these kinds,
not `action_*`, so a statement never reads as an action) and the page's answer."""

_SECTIONS = {
    Kind.DECLARED: Section.DECLARATION,
    Kind.RESOLVED: Section.RESOLUTION,
    Kind.UPDATE: Section.UPDATE,
    Kind.SEVERITY_CHANGED: Section.CHANGE,
    Kind.ROLE_ASSIGNED: Section.CHANGE,
    Kind.NOTE: Section.NOTE,
    Kind.MESSAGE: Section.MESSAGE,
    Kind.MESSAGE_EDITED: Section.EDIT,
    Kind.MESSAGE_DELETED: Section.DELETION,
    Kind.PINNED: Section.KEY_EVENT,
    Kind.REMINDER: Section.REMINDER,
    Kind.REMINDER_SNOOZED: Section.REMINDER,
    Kind.ESCALATION: Section.REMINDER,
    Kind.ALERT_ATTACHED: Section.ALERT,
    **{kind: Section.ACTION for kind in ACTION_KINDS},
    Kind.CHECKLIST_ITEM_CHECKED: Section.CHECKLIST,
    Kind.CHECKLIST_ITEM_UNCHECKED: Section.CHECKLIST,
    Kind.FOLLOWUP_RECORDED: Section.FOLLOWUP,
    Kind.FOLLOWUP_DONE: Section.FOLLOWUP,
    Kind.FOLLOWUP_DROPPED: Section.FOLLOWUP,
    Kind.PAGED: Section.INTEGRATION,
    Kind.PAGE_RESOLVED: Section.INTEGRATION,
    Kind.PAGE_FAILED: Section.INTEGRATION,
    Kind.PAGE_SKIPPED: Section.INTEGRATION,
    **{kind: Section.COMMUNICATION for kind in STATEMENT_KINDS},
}
_LABELS = {
    Kind.STATEMENT_VOTE: "Statement approved, more approvals needed",
    Kind.STATEMENT_REFUSED: "Statement not published",
}
"""Labels the kind's value does not spell: the page refused the words, no person did."""


@dataclass(frozen=True)
class Entry:
    """One stamped fact. `actor` is a Slack user id, or None for the bot and integrations."""

    at: datetime
    kind: Kind
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
