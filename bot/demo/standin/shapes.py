"""The JSON objects Slack returns for users, conversations, messages and files.

Field sets follow Slack's documented objects closely enough that code written against the
stand-in reads the same keys it will read in production; values that only matter to Slack's own
clients (colours, avatars) are fixed.
"""

from __future__ import annotations

import mimetypes

from bot.demo.standin.state import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    JSON,
    PERMALINK_BASE,
    TEAM_ID,
    Channel,
    File,
    Message,
    User,
    Workspace,
)

AVATAR = "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-48.png"


def bot_profile(ws: Workspace) -> JSON:
    return {
        "id": BOT_ID,
        "app_id": APP_ID,
        "name": BOT_NAME,
        "icons": {"image_48": AVATAR},
        "deleted": False,
        "updated": 1_700_000_000,
        "team_id": ws.team_id,
    }


def user_json(ws: Workspace, user: User) -> JSON:
    profile: JSON = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        "fields": {},
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g000000000",
        "image_48": AVATAR,
        "first_name": user.real_name.split(" ")[0],
        "last_name": " ".join(user.real_name.split(" ")[1:]),
        "team": ws.team_id,
    }
    if user.id == BOT_USER_ID:
        profile.update({"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True})
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": "Etc/UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
        "is_email_confirmed": not user.is_bot,
    }


def channel_json(ws: Workspace, channel: Channel, *, num_members: bool = False) -> JSON:
    body: JSON = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.is_archived,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": ws.team_id,
        "updated": channel.created * 1000,
        "parent_conversation": None,
        "creator": channel.creator,
        "is_ext_shared": False,
        "shared_team_ids": [ws.team_id],
        "pending_connected_team_ids": [],
        "is_member": BOT_USER_ID in channel.members,
        "topic": {
            "value": channel.topic,
            "creator": channel.topic_set_by,
            "last_set": channel.topic_set_at,
        },
        "purpose": {
            "value": channel.purpose,
            "creator": channel.purpose_set_by,
            "last_set": channel.purpose_set_at,
        },
        "previous_names": [],
    }
    if num_members:
        body["num_members"] = len(channel.members)
    return body


def message_json(ws: Workspace, message: Message, *, with_metadata: bool = True) -> JSON:
    """A message object; ``with_metadata=False`` leaves out ``metadata``, as history does unless
    asked with ``include_all_metadata``."""
    body: JSON = {"type": "message", "ts": message.ts, "text": message.text}
    if message.subtype:
        body["subtype"] = message.subtype
    if message.user:
        body["user"] = message.user
    if message.bot_id:
        body.update(bot_id=message.bot_id, app_id=APP_ID, bot_profile=bot_profile(ws))
    if message.blocks:
        body["blocks"] = message.blocks
    if message.attachments:
        body["attachments"] = message.attachments
    if message.files:
        body.update(files=[_file_ref(ws, f) for f in message.files], upload=False)
    if message.metadata and with_metadata:
        body["metadata"] = message.metadata
    body["team"] = ws.team_id
    body.update(message.extra)
    if message.edited_history:
        last = message.edited_history[-1]
        body["edited"] = {"user": last.user, "ts": last.ts}
    if message.is_reply:
        parent = ws.find_message(message.channel, message.thread_ts or "")
        body["thread_ts"] = message.thread_ts
        body["parent_user_id"] = parent.user if parent else None
    else:
        replies = ws.replies(message.channel, message.ts)
        if replies:
            users = list(dict.fromkeys(r.user for r in replies if r.user))
            body.update(
                thread_ts=message.ts,
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
                reply_users=users,
                is_locked=False,
                subscribed=False,
            )
    channel = ws.channels.get(message.channel)
    if channel and message.ts in channel.pins:
        body["pinned_to"] = [channel.id]
    return body


def _file_ref(ws: Workspace, ref: JSON) -> JSON:
    stored = ws.file_store.get(str(ref.get("id")))
    return file_json(ws, stored) if stored else ref


def file_json(ws: Workspace, file: File) -> JSON:
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    filetype = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "binary"
    private_url = f"https://files.{ws.team_domain}.slack.com/files-pri/{TEAM_ID}-{file.id}"
    shares: JSON = {"public": {}, "private": {}}
    for channel_id, ts in file.shares.items():
        channel = ws.channels.get(channel_id)
        kind = "private" if channel and channel.is_private else "public"
        shares[kind][channel_id] = [
            {"ts": ts, "channel_name": channel.name if channel else "", "team_id": ws.team_id}
        ]
    return {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.name,
        "title": file.title,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": file.user,
        "user_team": ws.team_id,
        "editable": False,
        "size": len(file.content),
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": bool(shares["public"]),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{private_url}/{file.name}",
        "url_private_download": f"{private_url}/download/{file.name}",
        "permalink": file.permalink,
        "permalink_public": f"{PERMALINK_BASE}/{TEAM_ID}-{file.id}",
        "channels": [c for c in file.channels if c in shares["public"]],
        "groups": [c for c in file.channels if c in shares["private"]],
        "ims": [],
        "shares": {k: v for k, v in shares.items() if v},
        "has_rich_preview": False,
        "file_access": "visible",
        "comments_count": 0,
    }


def permalink(channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    link = f"{PERMALINK_BASE}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link
