"""The workspace the stand-in serves: plain data that tests read and assert on.

Everything here is synchronous and free of HTTP so that tests, the transcript renderer and the
Web API handlers share one model. Two hooks, :meth:`Workspace.changed` and
:meth:`Workspace.emit`, are no-ops here; the server overrides them to wake waiters and to deliver
events to the bot.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]

TEAM_ID = "T0STANDIN"
TEAM_DOMAIN = "standin"
APP_ID = "A0STANDIN"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "incident-bot"
PERMALINK_BASE = f"https://{TEAM_DOMAIN}.slack.com"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str
    is_bot: bool = False
    deleted: bool = False
    """Deactivated: they left the workspace (users.info still answers, `deleted: true`)."""

    @property
    def shown_name(self) -> str:
        """What Slack's clients print for this person: display name, else real name."""
        return self.display_name or self.real_name or self.name


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    created: int
    creator: str
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    topic_set_by: str = ""
    topic_set_at: int = 0
    purpose_set_by: str = ""
    purpose_set_at: int = 0
    pins: list[str] = field(default_factory=list)
    bookmarks: list[JSON] = field(default_factory=list)
    is_im: bool = False
    """A direct message between the bot and one person (its name is `@<their name>`)."""


@dataclass(frozen=True)
class Edit:
    """One earlier version of a message, kept so tests can see what an update replaced."""

    ts: str
    user: str
    text: str
    blocks: list[JSON]


@dataclass
class Message:
    channel: str
    ts: str
    user: str | None
    bot_id: str | None
    text: str
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    subtype: str | None = None
    files: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    metadata: JSON | None = None
    edited_history: list[Edit] = field(default_factory=list)
    deleted: bool = False
    extra: JSON = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[JSON]
    via: Literal["api", "response_url", "ack"]
    ts: str
    thread_ts: str | None = None
    replace_original: bool = False
    delete_original: bool = False


@dataclass
class File:
    id: str
    name: str
    title: str
    content: bytes
    channels: list[str]
    permalink: str
    user: str = BOT_USER_ID
    created: int = 0
    length: int = 0
    uploaded: bool = False
    completed: bool = False
    shares: dict[str, str] = field(default_factory=dict)


class Workspace:
    """Users, channels, messages and files of the one team the stand-in simulates."""

    team_id = TEAM_ID
    team_domain = TEAM_DOMAIN
    app_id = APP_ID
    bot_user_id = BOT_USER_ID
    bot_id = BOT_ID

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        emit_bot_message_events: bool = True,
        system_messages: bool = True,
    ) -> None:
        self.now = now
        self.emit_bot_message_events = emit_bot_message_events
        self.system_messages = system_messages
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.message_log: dict[str, list[Message]] = {}
        self.ephemeral_log: list[Ephemeral] = []
        self.file_store: dict[str, File] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.views: dict[str, JSON] = {}
        self.trigger_ids: dict[str, float] = {}
        self._last_us = 0
        self._serial = 0
        self.users[BOT_USER_ID] = User(BOT_USER_ID, BOT_NAME, "Incident Bot", BOT_NAME, True)

    def changed(self) -> None:
        """Hook called after every state change."""

    def emit(self, event: JSON) -> None:
        """Hook called with every Events API event Slack would send the bot."""

    def next_ts(self) -> str:
        """A Slack message ts ("seconds.micros") from the clock, strictly increasing."""
        micros = max(int(self.now() * 1_000_000), self._last_us + 1)
        self._last_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def unix(self) -> int:
        return int(self.now())

    def new_id(self, prefix: str) -> str:
        """An id shaped like Slack's (prefix letter + uppercase alphanumerics), unique everywhere.

        Random like Slack's, so a database kept across runs (the demo's) never meets an id
        twice; the serial keeps ids of one workspace distinct and in creation order.
        """
        self._serial += 1
        return f"{prefix}{self._serial:04X}{secrets.token_hex(3).upper()}"

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users.values() if u.name == name), None)

    def channel(self, id_or_name: str) -> Channel | None:
        """Find a channel by id, by name, or by ``#name``."""
        if id_or_name in self.channels:
            return self.channels[id_or_name]
        name = id_or_name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        for message in self.message_log.get(channel_id, []):
            if message.ts == ts and not message.deleted:
                return message
        return None

    def replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        return [
            m
            for m in self.message_log.get(channel_id, [])
            if m.thread_ts == thread_ts and m.ts != thread_ts and not m.deleted
        ]

    def add_user(
        self,
        name: str,
        *,
        display_name: str | None = None,
        real_name: str | None = None,
        id: str | None = None,
    ) -> User:
        if self.user_by_name(name) is not None:
            raise ValueError(f"a user named {name!r} already exists")
        user_id = id or self.new_id("U")
        real = real_name if real_name is not None else name.replace(".", " ").title()
        user = User(user_id, name, real, display_name if display_name is not None else name)
        self.users[user_id] = user
        self.changed()
        return user

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        archived: bool = False,
    ) -> Channel:
        """A channel made by a person before the scenario starts (no system messages)."""
        if not re.fullmatch(r"[a-z0-9_-]{1,80}", name):
            raise ValueError(f"{name!r} is not a valid Slack channel name")
        if self.channel(name) is not None:
            raise ValueError(f"channel name {name!r} is taken")
        member_ids = {self.resolve_user(m) for m in members}
        creator = next(iter(sorted(member_ids - {BOT_USER_ID})), BOT_USER_ID)
        channel = Channel(
            self.new_id("C"), name, is_private, self.unix(), creator, members=member_ids
        )
        channel.is_archived = archived
        self.channels[channel.id] = channel
        self.message_log[channel.id] = []
        self.changed()
        return channel

    def direct(self, user_id: str) -> Channel:
        """The bot's DM with a person, opened by its first message (`chat.postMessage` with the
        person's id as the channel, as Slack allows with `chat:write`)."""
        user = self.users[user_id]
        found = self.channel(f"@{user.name}")
        if found is not None:
            return found
        channel = Channel(
            self.new_id("D"),
            f"@{user.name}",
            True,
            self.unix(),
            BOT_USER_ID,
            members={user_id, BOT_USER_ID},
            is_im=True,
        )
        self.channels[channel.id] = channel
        self.message_log[channel.id] = []
        self.changed()
        return channel

    def add_usergroup(self, id: str, users: Iterable[str]) -> None:
        self.usergroups[id] = [self.resolve_user(u) for u in users]
        self.changed()

    def messages(self, channel: str, *, include_system: bool = True) -> list[Message]:
        """Visible messages of a channel, oldest first, thread replies included.

        An unknown channel gives an empty list so wait_for predicates can poll for a channel
        the bot has yet to create.
        """
        found = self.channel(channel)
        if found is None:
            return []
        return [
            m
            for m in self.message_log.get(found.id, [])
            if not m.deleted and (include_system or not _is_system(m))
        ]

    def pins(self, channel: str) -> list[str]:
        """ts of the channel's pinned messages, in pin order."""
        found = self.channel(channel)
        return list(found.pins) if found else []

    def ephemerals(self, user: str | None = None, channel: str | None = None) -> list[Ephemeral]:
        user_id = self.resolve_user(user) if user else None
        found = self.channel(channel) if channel else None
        channel_id = found.id if found else channel
        return [
            e
            for e in self.ephemeral_log
            if (user_id is None or e.user == user_id)
            and (channel_id is None or e.channel == channel_id)
        ]

    def files(self) -> list[File]:
        """Files whose upload was completed (files_upload_v2 finished), in upload order."""
        return [f for f in self.file_store.values() if f.completed]

    def resolve_user(self, user: str) -> str:
        """A user id from an id, a name or an @name, so tests can write people's names."""
        if user in self.users:
            return user
        by_name = self.user_by_name(user.removeprefix("@"))
        if by_name is None:
            raise KeyError(f"no user {user!r} in the stand-in workspace")
        return by_name.id


SYSTEM_SUBTYPES = frozenset(
    {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "pinned_item"}
)


def _is_system(message: Message) -> bool:
    return message.subtype in SYSTEM_SUBTYPES
