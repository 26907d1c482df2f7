"""What Slack does with a POST to a ``response_url`` (Bolt's ``respond()``).

A response_url works 5 times within 30 minutes. ``response_type`` ``ephemeral`` (the default)
shows the message to the invoking user only; ``in_channel`` posts it for everyone as the app,
even in channels the bot has not joined. ``replace_original``/``delete_original`` act on the
channel message the interaction came from, or are recorded on the ephemeral otherwise.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from bot.demo.standin import ops
from bot.demo.standin.blocks import validate_message, with_block_ids
from bot.demo.standin.params import ApiError
from bot.demo.standin.state import BOT_USER_ID, JSON, Ephemeral

if TYPE_CHECKING:
    from bot.demo.standin.webapi import SlackStandIn

MAX_USES = 5
LIFETIME = 30 * 60.0


def _refuse(error: str, status: int = 404) -> tuple[int, JSON]:
    return status, {"ok": False, "error": error}


async def handle_response_url(slack: SlackStandIn, request: web.Request) -> tuple[int, JSON]:
    """Apply one response_url POST; returns the HTTP status and JSON body to answer with."""
    url = slack.response_urls.get(request.match_info["token"])
    if url is None:
        return _refuse("no_service")
    if slack.now() - url.created > LIFETIME:
        return _refuse("expired_url")
    if url.uses >= MAX_USES:
        return _refuse("used_url")
    try:
        body = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _refuse("invalid_payload", 400)
    if not isinstance(body, dict):
        return _refuse("invalid_payload", 400)
    url.uses += 1
    if url.first_used is None:
        url.first_used = slack.now()
    text = str(body.get("text") or "")
    raw_blocks = body.get("blocks")
    blocks = raw_blocks if isinstance(raw_blocks, list) else None
    delete = bool(body.get("delete_original"))
    replace = bool(body.get("replace_original"))
    if not delete:
        try:
            validate_message(text, blocks)
        except ApiError as exc:
            return 400, exc.body()
    blocks = with_block_ids(blocks or [])
    channel = slack.channels[url.channel]
    original = slack.find_message(channel.id, url.message_ts) if url.message_ts else None
    thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
    if original is not None and delete:
        ops.delete(slack, original, by=BOT_USER_ID)
    elif original is not None and replace:
        ops.edit(slack, original, editor=BOT_USER_ID, text=text, blocks=blocks)
    elif body.get("response_type") == "in_channel":
        ops.post(slack, channel, user=BOT_USER_ID, text=text, blocks=blocks, thread_ts=thread_ts)
    else:
        slack.ephemeral_log.append(
            Ephemeral(
                channel=channel.id,
                user=url.user,
                text=text,
                blocks=blocks,
                via="response_url",
                ts=slack.next_ts(),
                thread_ts=thread_ts,
                replace_original=replace,
                delete_original=delete,
            )
        )
    return 200, {"ok": True}


def show_command_ack(slack: SlackStandIn, channel_id: str, user_id: str, body: JSON) -> None:
    """Show a slash command's ack body as Slack does: ephemeral, or in the channel if asked."""
    text = str(body.get("text") or "")
    raw_blocks = body.get("blocks")
    blocks = with_block_ids(raw_blocks if isinstance(raw_blocks, list) else [])
    if not text and not blocks:
        return
    if body.get("response_type") == "in_channel":
        ops.post(slack, slack.channels[channel_id], user=BOT_USER_ID, text=text, blocks=blocks)
        return
    slack.ephemeral_log.append(
        Ephemeral(
            channel=channel_id,
            user=user_id,
            text=text,
            blocks=blocks,
            via="ack",
            ts=slack.next_ts(),
        )
    )
    slack.changed()
