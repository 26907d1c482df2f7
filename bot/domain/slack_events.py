"""Slack's channel events, parsed at the edge, and what each one means for the timeline.

Every `message` subtype and every `pin_added` lands here and comes out either as a timeline
entry for its channel or as an explicit `Ignored` with the reason. Subtypes Slack adds later are
kept when they look like a person talking (a user, text, no bot), so a message is never lost
because it came with a new label; a malformed payload is ignored rather than refused, because a
refusal makes Slack retry it forever. Control characters (a NUL that PostgreSQL cannot store)
are removed from every string of an event before it is read (`bot.domain.text`), so a message
holding one is stamped without it rather than failing its whole batch.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.text import TooDeep, clean_json
from bot.domain.timeline import Entry, Kind

SPOKEN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
"""A person said something: stamped as a message."""

SYSTEM_SUBTYPES = frozenset(
    {
        "bot_message",
        "bot_add",
        "bot_remove",
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "message_replied",
        "reminder_add",
        "ekm_access_denied",
        "huddle_thread",
        "assistant_app_thread",
    }
)
"""Slack's own notices, other apps' posts, and echoes of facts stamped elsewhere (`pinned_item`
is stamped from `pin_added`): ignored on purpose."""


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


Ts = Annotated[str, Field(pattern=r"^\d{1,11}(\.\d{1,9})?$")]
"""Slack's message timestamp, `"1764063000.000123"`: what `slack_time` can read (eleven digits
of seconds stay inside the years a datetime holds)."""


class SharedFile(_Payload):
    name: str | None = None
    title: str | None = None
    permalink: str | None = None


class EditMark(_Payload):
    user: str | None = None
    ts: Ts | None = None


class Said(_Payload):
    """A message as Slack describes it, top-level or nested in a change or deletion."""

    ts: Ts
    subtype: str | None = None
    user: str | None = None
    bot_id: str | None = None
    text: str = ""
    thread_ts: Ts | None = None
    files: tuple[SharedFile, ...] = ()
    edited: EditMark | None = None

    @property
    def is_from_a_person(self) -> bool:
        return self.user is not None and self.bot_id is None and self.subtype != "bot_message"

    @property
    def thread(self) -> str | None:
        """The parent's ts when this is a thread reply."""
        return self.thread_ts if self.thread_ts and self.thread_ts != self.ts else None


class MessageEvent(Said):
    channel: str
    message: Said | None = None
    previous_message: Said | None = None
    deleted_ts: Ts | None = None


class PinnedItem(_Payload):
    type: str = "message"
    message: Said | None = None


class PinAdded(_Payload):
    channel_id: str
    user: str
    item: PinnedItem
    event_ts: Ts


@dataclass(frozen=True)
class ChannelEvent:
    """A fact for the timeline of whichever incident owns `channel_id` (if any does)."""

    channel_id: str
    entry: Entry


@dataclass(frozen=True)
class Ignored:
    reason: str


def slack_time(ts: str) -> datetime:
    """A Slack ts (`"1764063000.000123"`) as an exact UTC datetime, no float rounding."""
    seconds, _, micros = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(
        microseconds=int(micros[:6].ljust(6, "0") or 0)
    )


def permalink(workspace_url: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """A message's link as chat.getPermalink writes it: derived when shown, not asked per message."""
    link = f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    return f"{link}?thread_ts={thread_ts}&cid={channel}" if thread_ts else link


def read_message(event: Mapping[str, Any]) -> ChannelEvent | Ignored:
    """What a `message` event (any subtype) means for the timeline."""
    try:
        parsed = MessageEvent.model_validate(clean_json(event))
    except (ValidationError, TooDeep):
        return Ignored("malformed message event")
    subtype = parsed.subtype
    if subtype == "message_changed":
        return _edited(parsed)
    if subtype == "message_deleted":
        return _deleted(parsed)
    if subtype in SYSTEM_SUBTYPES:
        return Ignored(f"subtype {subtype}")
    if not parsed.is_from_a_person:
        return Ignored("not from a person")
    return ChannelEvent(parsed.channel, _said(parsed))


def read_pin(event: Mapping[str, Any]) -> ChannelEvent | Ignored:
    """A pinned message is a key event: stamped with the pinner and the message pinned."""
    try:
        parsed = PinAdded.model_validate(clean_json(event))
    except (ValidationError, TooDeep):
        return Ignored("malformed pin_added event")
    pinned = parsed.item.message
    if pinned is None:
        return Ignored(f"pinned {parsed.item.type}, not a message")
    data = _thread(pinned)
    if pinned.user:
        data["author"] = pinned.user
    entry = Entry(
        slack_time(parsed.event_ts), Kind.PINNED, parsed.user, pinned.text, pinned.ts, data
    )
    return ChannelEvent(parsed.channel_id, entry)


def _said(said: Said) -> Entry:
    data = _thread(said)
    if said.subtype not in SPOKEN_SUBTYPES:
        data["subtype"] = said.subtype
    files = [{"name": f.name or f.title or "file", "link": f.permalink} for f in said.files]
    if files:
        data["files"] = files
    return Entry(slack_time(said.ts), Kind.MESSAGE, said.user, said.text, said.ts, data)


def _edited(event: MessageEvent) -> ChannelEvent | Ignored:
    now, before = event.message, event.previous_message
    if now is None or not now.is_from_a_person:
        return Ignored("change to a message not from a person")
    if before is not None and before.text == now.text:
        return Ignored("change without an edit (unfurl, reply count)")
    edit = now.edited or EditMark()
    entry = Entry(
        slack_time(edit.ts or event.ts),
        Kind.MESSAGE_EDITED,
        edit.user or now.user,
        now.text,
        now.ts,
        _thread(now),
    )
    return ChannelEvent(event.channel, entry)


def _deleted(event: MessageEvent) -> ChannelEvent | Ignored:
    """Slack does not say who deleted a message; the entry keeps its author and text for audit."""
    gone = event.previous_message
    if gone is not None and not gone.is_from_a_person:
        return Ignored("deletion of a message not from a person")
    deleted_ts = event.deleted_ts or (gone.ts if gone else None)
    if deleted_ts is None:
        return Ignored("deletion without the deleted message's ts")
    data = _thread(gone) if gone else {}
    entry = Entry(
        slack_time(event.ts),
        Kind.MESSAGE_DELETED,
        gone.user if gone else None,
        gone.text if gone else "",
        deleted_ts,
        data,
    )
    return ChannelEvent(event.channel, entry)


def _thread(said: Said) -> dict[str, Any]:
    """The entry's data: a reply's thread, from which (with its ts) its permalink is derived."""
    return {"thread_ts": said.thread} if said.thread else {}
