"""The Web API method registry, channel access rules, and methods about people, pins, bookmarks.

Each handler returns the success body or raises :class:`ApiError` with the error string Slack
documents for that method. Like Slack, the bot sees private channels only once it is a member
(otherwise ``channel_not_found``) and most writes need membership (``not_in_channel``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.demo.standin import ops
from bot.demo.standin.params import ApiError, Params
from bot.demo.standin.shapes import user_json
from bot.demo.standin.state import BOT_ID, BOT_NAME, BOT_USER_ID, JSON, Channel

if TYPE_CHECKING:
    from bot.demo.standin.webapi import SlackStandIn

Handler = Callable[["SlackStandIn", Params], JSON]
Registrar = Callable[[str], Callable[[Handler], Handler]]
METHODS: dict[str, Handler] = {}

BOOKMARKS_MAX = 100


def registrar(table: dict[str, Handler]) -> Registrar:
    """A decorator factory filing handlers under their Slack method name in ``table``."""

    def method(name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            table[name] = handler
            return handler

        return register

    return method


method = registrar(METHODS)


def visible_channel(
    slack: SlackStandIn, p: Params, key: str = "channel", *, by_name: bool = False
) -> Channel:
    ref = p.opt(key)
    found = None
    if ref is not None:
        found = slack.channels.get(ref) or (slack.channel(ref) if by_name else None)
    if found is None or (found.is_private and BOT_USER_ID not in found.members):
        raise ApiError("channel_not_found")
    return found


def member_channel(
    slack: SlackStandIn, p: Params, key: str = "channel", *, by_name: bool = False
) -> Channel:
    """A channel the bot may write to: visible, not archived, and the bot is in it."""
    found = visible_channel(slack, p, key, by_name=by_name)
    if found.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID not in found.members:
        raise ApiError("not_in_channel")
    return found


@method("auth.test")
def auth_test(slack: SlackStandIn, p: Params) -> JSON:
    return {
        "ok": True,
        "url": f"https://{slack.team_domain}.slack.com/",
        "team": "Stand-in",
        "user": BOT_NAME,
        "team_id": slack.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


@method("users.info")
def users_info(slack: SlackStandIn, p: Params) -> JSON:
    user = slack.user(p.opt("user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": user_json(slack, user)}


@method("usergroups.users.list")
def usergroups_users_list(slack: SlackStandIn, p: Params) -> JSON:
    users = slack.usergroups.get(p.opt("usergroup") or "")
    if users is None:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(users)}


@method("pins.add")
def pins_add(slack: SlackStandIn, p: Params) -> JSON:
    channel = member_channel(slack, p)
    ts = p.opt("timestamp")
    if ts is None:
        raise ApiError("no_item_specified")
    message = slack.find_message(channel.id, ts)
    if message is None:
        raise ApiError("message_not_found")
    if message.subtype in {"channel_join", "channel_leave"}:
        raise ApiError("not_pinnable")
    if ts in channel.pins:
        raise ApiError("already_pinned")
    ops.pin(slack, channel, message, by=BOT_USER_ID)
    return {"ok": True}


@method("bookmarks.add")
def bookmarks_add(slack: SlackStandIn, p: Params) -> JSON:
    channel = member_channel(slack, p, "channel_id")
    title = p.text("title")
    kind = p.text("type")
    if kind != "link":
        raise ApiError("invalid_bookmark_type")
    link = p.opt("link")
    if link is None or not re.match(r"https?://", link):
        raise ApiError("invalid_link")
    if len(channel.bookmarks) >= BOOKMARKS_MAX:
        raise ApiError("too_many_bookmarks")
    now = slack.unix()
    bookmark: JSON = {
        "id": slack.new_id("Bk"),
        "channel_id": channel.id,
        "title": title,
        "link": link,
        "emoji": p.opt("emoji"),
        "icon_url": None,
        "type": kind,
        "entity_id": p.opt("entity_id"),
        "date_created": now,
        "date_updated": 0,
        "rank": f"{len(channel.bookmarks):04d}",
        "last_updated_by_user_id": BOT_USER_ID,
        "last_updated_by_team_id": slack.team_id,
        "shortcut_id": None,
        "app_id": slack.app_id,
    }
    channel.bookmarks.append(bookmark)
    slack.changed()
    return {"ok": True, "bookmark": bookmark}
