"""Web API methods on conversations: create, list, invite, join, info, topic, history, members.

Pagination cursors are opaque base64 strings like Slack's; history pages newest first and
replies oldest first (parent first), as Slack returns them. Message metadata is returned only
when asked for with ``include_all_metadata``, as Slack does.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from bot.demo.standin import ops
from bot.demo.standin.methods import Handler, member_channel, registrar, visible_channel
from bot.demo.standin.params import ApiError, Params
from bot.demo.standin.shapes import channel_json, message_json
from bot.demo.standin.state import BOT_USER_ID, JSON, Channel, Message

if TYPE_CHECKING:
    from bot.demo.standin.webapi import SlackStandIn

CONVERSATION_METHODS: dict[str, Handler] = {}
method = registrar(CONVERSATION_METHODS)

NAME_MAX = 80
TOPIC_MAX = 250
LIST_MAX = 1000
LIST_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})


def ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds), int(micros.ljust(6, "0")[:6] or 0)
    except ValueError:
        raise ApiError("invalid_ts") from None


def _cursor(value: str, kind: str = "next_ts") -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _cursor_ts(p: Params, kind: str = "next_ts") -> str | None:
    """The value a cursor of ours points at; ``invalid_cursor`` for anything else."""
    cursor = p.opt("cursor")
    if cursor is None:
        return None
    try:
        decoded = base64.b64decode(cursor, validate=True).decode()
    except ValueError:
        raise ApiError("invalid_cursor") from None
    if not decoded.startswith(f"{kind}:"):
        raise ApiError("invalid_cursor")
    return decoded.removeprefix(f"{kind}:")


def _page(slack: SlackStandIn, messages: list[Message], limit: int, p: Params) -> JSON:
    page = messages[:limit]
    more = len(messages) > limit
    metadata = p.flag("include_all_metadata")
    return {
        "ok": True,
        "messages": [message_json(slack, m, with_metadata=metadata) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": _cursor(messages[limit].ts) if more else ""},
    }


def _limit(p: Params, default: int) -> int:
    return max(1, min(p.integer("limit", default), 999))


@method("conversations.create")
def conversations_create(slack: SlackStandIn, p: Params) -> JSON:
    name = p.opt("name")
    if name is None:
        raise ApiError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise ApiError("invalid_name_maxlength")
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise ApiError("invalid_name_specials")
    if set(name) <= {"-", "_"}:
        raise ApiError("invalid_name_punctuation")
    if slack.channel(name) is not None:
        raise ApiError("name_taken")
    channel = Channel(slack.new_id("C"), name, p.flag("is_private"), slack.unix(), BOT_USER_ID)
    slack.channels[channel.id] = channel
    slack.message_log[channel.id] = []
    ops.join(slack, channel, BOT_USER_ID, member_event=False)
    return {"ok": True, "channel": channel_json(slack, channel)}


def _listed_types(p: Params) -> set[str]:
    types = {t.strip() for t in (p.opt("types") or "public_channel").split(",") if t.strip()}
    if not types or not types <= LIST_TYPES:
        raise ApiError("invalid_types")
    return types


@method("conversations.list")
def conversations_list(slack: SlackStandIn, p: Params) -> JSON:
    """Channels the bot can see, oldest first: public ones, and private ones it is a member of.

    This is how a bot finds a channel it created before a crash by its name, since
    ``conversations.create`` answers ``name_taken`` for it.
    """
    types = _listed_types(p)
    limit = p.integer("limit", 100)
    if not 1 <= limit <= LIST_MAX:
        raise ApiError("invalid_limit")
    listed = [
        c
        for c in slack.channels.values()
        if not c.is_im
        and ("private_channel" if c.is_private else "public_channel") in types
        and (not c.is_private or BOT_USER_ID in c.members)
        and not (c.is_archived and p.flag("exclude_archived"))
    ]
    ids = [c.id for c in listed]
    after = _cursor_ts(p, "channel")
    if after is not None and after not in ids:
        raise ApiError("invalid_cursor")
    start = ids.index(after) if after is not None else 0
    page, rest = listed[start : start + limit], listed[start + limit :]
    return {
        "ok": True,
        "channels": [channel_json(slack, c, num_members=True) for c in page],
        "response_metadata": {"next_cursor": _cursor(rest[0].id, "channel") if rest else ""},
    }


@method("conversations.invite")
def conversations_invite(slack: SlackStandIn, p: Params) -> JSON:
    channel = member_channel(slack, p)
    users = [u.strip() for u in (p.opt("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("no_user")
    errors: list[JSON] = []
    for user in users:
        error = None
        if user == BOT_USER_ID:
            error = "cant_invite_self"
        elif slack.user(user) is None:
            error = "user_not_found"
        elif user in channel.members:
            error = "already_in_channel"
        if error:
            errors.append({"user": user, "ok": False, "error": error})
    if errors and not p.flag("force"):
        raise ApiError(str(errors[0]["error"]), errors=errors)
    failed = {e["user"] for e in errors}
    for user in dict.fromkeys(users):
        if user not in failed:
            ops.join(slack, channel, user, inviter=BOT_USER_ID)
    body: JSON = {"ok": True, "channel": channel_json(slack, channel)}
    if errors:
        body["errors"] = errors
    return body


@method("conversations.join")
def conversations_join(slack: SlackStandIn, p: Params) -> JSON:
    channel = slack.channels.get(p.opt("channel") or "")
    if channel is None or channel.is_private:
        if channel is not None and BOT_USER_ID in channel.members:
            raise ApiError("method_not_supported_for_channel_type")
        raise ApiError("channel_not_found")
    if channel.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID in channel.members:
        return {
            "ok": True,
            "channel": channel_json(slack, channel),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    ops.join(slack, channel, BOT_USER_ID)
    return {"ok": True, "channel": channel_json(slack, channel)}


@method("conversations.info")
def conversations_info(slack: SlackStandIn, p: Params) -> JSON:
    channel = visible_channel(slack, p)
    return {
        "ok": True,
        "channel": channel_json(slack, channel, num_members=p.flag("include_num_members")),
    }


def _set_text(slack: SlackStandIn, p: Params, key: str) -> JSON:
    channel = member_channel(slack, p)
    value = p.opt(key) or ""
    if len(value) > TOPIC_MAX:
        raise ApiError("too_long")
    ops.set_topic(slack, channel, value, by=BOT_USER_ID, purpose=key == "purpose")
    return {"ok": True, "channel": channel_json(slack, channel)}


@method("conversations.setTopic")
def conversations_set_topic(slack: SlackStandIn, p: Params) -> JSON:
    return _set_text(slack, p, "topic")


@method("conversations.setPurpose")
def conversations_set_purpose(slack: SlackStandIn, p: Params) -> JSON:
    return _set_text(slack, p, "purpose")


def _readable(slack: SlackStandIn, p: Params) -> Channel:
    channel = visible_channel(slack, p)
    if BOT_USER_ID not in channel.members:
        raise ApiError("not_in_channel")
    return channel


@method("conversations.history")
def conversations_history(slack: SlackStandIn, p: Params) -> JSON:
    channel = _readable(slack, p)
    oldest = ts_key(p.opt("oldest") or "0")
    latest = ts_key(p.opt("latest") or "9999999999.999999")
    inclusive = p.flag("inclusive")
    upto = _cursor_ts(p)
    found = [
        m
        for m in reversed(slack.message_log.get(channel.id, []))
        if not m.deleted
        and not m.is_reply
        and (oldest < ts_key(m.ts) < latest or (inclusive and ts_key(m.ts) in (oldest, latest)))
        and (upto is None or ts_key(m.ts) <= ts_key(upto))
    ]
    body = _page(slack, found, _limit(p, 100), p)
    body.update(pin_count=len(channel.pins), channel_actions_count=0, channel_actions_ts=None)
    return body


@method("conversations.replies")
def conversations_replies(slack: SlackStandIn, p: Params) -> JSON:
    channel = _readable(slack, p)
    parent = slack.find_message(channel.id, p.opt("ts") or "")
    if parent is None:
        raise ApiError("thread_not_found")
    start = _cursor_ts(p)
    thread = [parent, *slack.replies(channel.id, parent.ts)]
    if start is not None:
        thread = [m for m in thread if ts_key(m.ts) >= ts_key(start)]
    return _page(slack, thread, _limit(p, 1000), p)


@method("conversations.members")
def conversations_members(slack: SlackStandIn, p: Params) -> JSON:
    channel = visible_channel(slack, p)
    return {
        "ok": True,
        "members": sorted(channel.members),
        "response_metadata": {"next_cursor": ""},
    }
