"""Web API methods that post or change messages, upload files and open modals.

Messages go through Block Kit validation first, so a layout Slack would refuse fails here too.
``files_upload_v2`` is served in its three real steps: getUploadURLExternal hands out an upload
URL on the stand-in, the client POSTs the bytes there, completeUploadExternal shares the file.
"""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING

from bot.demo.standin import ops
from bot.demo.standin.blocks import validate_message, with_block_ids
from bot.demo.standin.methods import Handler, member_channel, registrar, visible_channel
from bot.demo.standin.params import ApiError, Params
from bot.demo.standin.shapes import message_json, permalink
from bot.demo.standin.state import BOT_USER_ID, JSON, PERMALINK_BASE, Ephemeral, File, Message

if TYPE_CHECKING:
    from bot.demo.standin.webapi import SlackStandIn

CHAT_METHODS: dict[str, Handler] = {}
method = registrar(CHAT_METHODS)
TRIGGER_TTL = 3.0
MAX_UPLOAD = 1024 * 1024 * 1024


def _content(p: Params) -> tuple[str, list[JSON] | None]:
    text = p.opt("text") or ""
    blocks = p.json_list("blocks", "invalid_blocks_format")
    validate_message(text, blocks)
    return text, blocks


def _metadata(p: Params) -> JSON | None:
    """The ``metadata`` argument checked as Slack does: an object (or its JSON text) holding a
    non-empty ``event_type`` and an object ``event_payload``."""
    value = p.json_obj("metadata", "invalid_metadata_format")
    if value is None:
        return None
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type.strip() or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def _message(slack: SlackStandIn, p: Params, ts_key: str = "ts") -> Message:
    channel = visible_channel(slack, p)
    found = slack.find_message(channel.id, p.opt(ts_key) or "")
    if found is None:
        raise ApiError("message_not_found")
    return found


@method("chat.postMessage")
def chat_post_message(slack: SlackStandIn, p: Params) -> JSON:
    person = slack.user(p.opt("channel") or "")
    if person is not None and person.is_bot:
        raise ApiError("cannot_dm_bot")
    channel = slack.direct(person.id) if person else member_channel(slack, p, by_name=True)
    text, blocks = _content(p)
    metadata = _metadata(p)
    message = ops.post(
        slack,
        channel,
        user=BOT_USER_ID,
        text=text,
        blocks=with_block_ids(blocks or []),
        thread_ts=p.opt("thread_ts"),
        attachments=p.json_list("attachments") or [],
        metadata=metadata,
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message_json(slack, message),
    }


@method("chat.postEphemeral")
def chat_post_ephemeral(slack: SlackStandIn, p: Params) -> JSON:
    channel = member_channel(slack, p, by_name=True)
    user = p.opt("user") or ""
    if slack.user(user) is None:
        raise ApiError("user_not_found")
    if user not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(p)
    ts = slack.next_ts()
    blocks = with_block_ids(blocks or [])
    slack.ephemeral_log.append(
        Ephemeral(channel.id, user, text, blocks, "api", ts, thread_ts=p.opt("thread_ts"))
    )
    slack.changed()
    return {"ok": True, "message_ts": ts}


@method("chat.update")
def chat_update(slack: SlackStandIn, p: Params) -> JSON:
    message = _message(slack, p)
    if message.user != BOT_USER_ID or message.subtype not in {None, "file_share"}:
        raise ApiError("cant_update_message")
    text = p.opt("text")
    blocks = p.json_list("blocks", "invalid_blocks_format")
    metadata = _metadata(p)
    validate_message(text if text is not None else message.text, blocks or message.blocks)
    ops.edit(
        slack,
        message,
        editor=BOT_USER_ID,
        text=text if text is not None else message.text,
        blocks=None if blocks is None else with_block_ids(blocks),
        metadata=metadata,
    )
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message_json(slack, message),
    }


@method("chat.delete")
def chat_delete(slack: SlackStandIn, p: Params) -> JSON:
    message = _message(slack, p)
    if message.user != BOT_USER_ID:
        raise ApiError("cant_delete_message")
    ops.delete(slack, message, by=BOT_USER_ID)
    return {"ok": True, "channel": message.channel, "ts": message.ts}


@method("chat.getPermalink")
def chat_get_permalink(slack: SlackStandIn, p: Params) -> JSON:
    message = _message(slack, p, "message_ts")
    return {
        "ok": True,
        "channel": message.channel,
        "permalink": permalink(message.channel, message.ts, message.thread_ts),
    }


@method("files.getUploadURLExternal")
def files_get_upload_url_external(slack: SlackStandIn, p: Params) -> JSON:
    name = p.text("filename")
    length = p.integer("length", -1)
    if length < 0 or length > MAX_UPLOAD:
        raise ApiError("invalid_length")
    file_id = slack.new_id("F")
    slack.file_store[file_id] = File(
        id=file_id,
        name=name,
        title=name,
        content=b"",
        channels=[],
        permalink=f"{PERMALINK_BASE}/files/{BOT_USER_ID}/{file_id}/{name}",
        created=slack.unix(),
        length=length,
    )
    token = secrets.token_urlsafe(12)
    slack.upload_tokens[token] = file_id
    return {"ok": True, "upload_url": f"{slack.base_url}/upload/v1/{token}", "file_id": file_id}


@method("files.completeUploadExternal")
def files_complete_upload_external(slack: SlackStandIn, p: Params) -> JSON:
    entries = p.json_list("files")
    if not entries:
        raise ApiError("invalid_arguments")
    files: list[File] = []
    for entry in entries:
        found = slack.file_store.get(str(entry.get("id")))
        if found is None or not found.uploaded or found.completed:
            raise ApiError("file_not_found")
        found.title = str(entry.get("title") or found.title)
        files.append(found)
    targets = [p.opt("channel_id")] if p.opt("channel_id") else []
    targets += [c for c in (p.opt("channels") or "").split(",") if c]
    channels = [member_channel(slack, Params({"channel": c})) for c in targets]
    thread_ts = p.opt("thread_ts")
    if thread_ts and len(channels) != 1:
        raise ApiError("invalid_arguments")
    for file in files:
        file.completed = True
    for channel in channels:
        message = ops.post(
            slack,
            channel,
            user=BOT_USER_ID,
            text=p.opt("initial_comment") or "",
            thread_ts=thread_ts,
            subtype="file_share",
            files=[{"id": f.id, "name": f.name, "title": f.title} for f in files],
        )
        for file in files:
            file.channels.append(channel.id)
            file.shares[channel.id] = message.ts
    slack.changed()
    return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in files]}


@method("views.open")
def views_open(slack: SlackStandIn, p: Params) -> JSON:
    trigger = p.opt("trigger_id")
    issued = slack.trigger_ids.get(trigger or "")
    if issued is None:
        raise ApiError("invalid_trigger_id")
    if slack.now() - issued > TRIGGER_TTL:
        raise ApiError("expired_trigger_id")
    view = p.json_obj("view", "invalid_arguments")
    if view is None or view.get("type") not in {"modal"}:
        raise ApiError("invalid_arguments")
    view_id = slack.new_id("V")
    stored: JSON = {
        "id": view_id,
        "team_id": slack.team_id,
        "type": view["type"],
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": with_block_ids(view.get("blocks", [])),
        "state": {"values": {}},
        "hash": secrets.token_hex(8),
        "external_id": view.get("external_id", ""),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": slack.app_id,
        "bot_id": slack.bot_id,
    }
    slack.views[view_id] = stored
    del slack.trigger_ids[trigger or ""]
    slack.changed()
    return {"ok": True, "view": copy.deepcopy(stored)}
