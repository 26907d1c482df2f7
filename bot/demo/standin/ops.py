"""Changes to the workspace together with the side effects Slack attaches to them.

Posting, editing, joining and pinning each record what a person would see (including Slack's
system messages such as "has joined the channel") and emit the Events API events the bot is
subscribed to, but only for channels the bot is a member of, as Slack does. The Web API handlers
and the sender both go through here so bot and human actions look the same to the bot.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.demo.standin.shapes import message_json
from bot.demo.standin.state import (
    BOT_ID,
    BOT_USER_ID,
    JSON,
    Channel,
    Edit,
    Message,
    Workspace,
)


def channel_type(channel: Channel) -> str:
    return "group" if channel.is_private else "channel"


def post(
    ws: Workspace,
    channel: Channel,
    *,
    user: str,
    text: str,
    blocks: Sequence[JSON] = (),
    thread_ts: str | None = None,
    subtype: str | None = None,
    files: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    metadata: JSON | None = None,
    extra: JSON | None = None,
) -> Message:
    by_bot = user == BOT_USER_ID
    system = subtype not in {None, "file_share"}
    message = Message(
        channel=channel.id,
        ts=ws.next_ts(),
        user=user,
        bot_id=BOT_ID if by_bot and not system else None,
        text=text,
        blocks=list(blocks),
        thread_ts=thread_ts,
        subtype=subtype,
        files=list(files),
        attachments=list(attachments),
        metadata=metadata,
        extra=dict(extra or {}),
    )
    ws.message_log.setdefault(channel.id, []).append(message)
    if _bot_hears(ws, channel, user):
        event = message_json(ws, message)
        event.update(channel=channel.id, channel_type=channel_type(channel), event_ts=message.ts)
        ws.emit(event)
    ws.changed()
    return message


def system_message(
    ws: Workspace, channel: Channel, user: str, subtype: str, text: str, **extra: object
) -> None:
    if ws.system_messages:
        post(ws, channel, user=user, text=text, subtype=subtype, extra=dict(extra))


def edit(
    ws: Workspace,
    message: Message,
    *,
    editor: str,
    text: str,
    blocks: list[JSON] | None,
    metadata: JSON | None = None,
) -> None:
    channel = ws.channels[message.channel]
    previous = message_json(ws, message)
    edit_ts = ws.next_ts()
    message.edited_history.append(Edit(edit_ts, editor, message.text, message.blocks))
    message.text = text
    if blocks is not None:
        message.blocks = blocks
    if metadata is not None:
        message.metadata = metadata
    if _bot_hears(ws, channel, editor):
        ws.emit(
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "channel": channel.id,
                "channel_type": channel_type(channel),
                "ts": edit_ts,
                "event_ts": edit_ts,
                "message": message_json(ws, message),
                "previous_message": previous,
            }
        )
    ws.changed()


def delete(ws: Workspace, message: Message, *, by: str) -> None:
    channel = ws.channels[message.channel]
    previous = message_json(ws, message)
    message.deleted = True
    if message.ts in channel.pins:
        channel.pins.remove(message.ts)
    if _bot_hears(ws, channel, by):
        event_ts = ws.next_ts()
        ws.emit(
            {
                "type": "message",
                "subtype": "message_deleted",
                "hidden": True,
                "channel": channel.id,
                "channel_type": channel_type(channel),
                "ts": event_ts,
                "event_ts": event_ts,
                "deleted_ts": message.ts,
                "previous_message": previous,
            }
        )
    ws.changed()


def join(
    ws: Workspace,
    channel: Channel,
    user: str,
    *,
    inviter: str | None = None,
    member_event: bool = True,
) -> None:
    """Add a member; ``member_event=False`` for a creator, who joins without an event."""
    channel.members.add(user)
    extra = {"inviter": inviter} if inviter else {}
    system_message(ws, channel, user, "channel_join", f"<@{user}> has joined the channel", **extra)
    if member_event and BOT_USER_ID in channel.members:
        event: JSON = {
            "type": "member_joined_channel",
            "user": user,
            "channel": channel.id,
            "channel_type": "G" if channel.is_private else "C",
            "team": ws.team_id,
            "event_ts": ws.next_ts(),
        }
        if inviter:
            event["inviter"] = inviter
        ws.emit(event)
    ws.changed()


def set_topic(ws: Workspace, channel: Channel, value: str, *, by: str, purpose: bool) -> None:
    if purpose:
        channel.purpose, channel.purpose_set_by, channel.purpose_set_at = value, by, ws.unix()
        text = f"<@{by}> set the channel description: {value}"
        system_message(ws, channel, by, "channel_purpose", text, purpose=value)
    else:
        channel.topic, channel.topic_set_by, channel.topic_set_at = value, by, ws.unix()
        text = f"<@{by}> set the channel topic: {value}"
        system_message(ws, channel, by, "channel_topic", text, topic=value)
    ws.changed()


def pin(ws: Workspace, channel: Channel, message: Message, *, by: str) -> None:
    channel.pins.append(message.ts)
    item = {
        "type": "message",
        "channel": channel.id,
        "message": message_json(ws, message),
        "created": ws.unix(),
        "created_by": by,
    }
    text = f"<@{by}> pinned a message to this channel."
    system_message(ws, channel, by, "pinned_item", text, item_type="C", item=item)
    if BOT_USER_ID in channel.members:
        ws.emit(
            {
                "type": "pin_added",
                "user": by,
                "channel_id": channel.id,
                "item": item,
                "item_user": message.user,
                "pin_count": len(channel.pins),
                "pinned_info": {"channel": channel.id, "pinned_by": by, "pinned_ts": ws.unix()},
                "event_ts": ws.next_ts(),
            }
        )
    ws.changed()


def _bot_hears(ws: Workspace, channel: Channel, author: str) -> bool:
    """Slack delivers message events only from channels the bot is in; its own only if asked."""
    if BOT_USER_ID not in channel.members:
        return False
    return author != BOT_USER_ID or ws.emit_bot_message_events
