"""Render a stand-in channel as plain text, the way a person in Slack would read it.

Used by ``incident-bot demo`` to show what responders would see, and handy in test failure
messages. Blocks are flattened (headers, sections, fields, context, buttons) and Slack's
mrkdwn entities are decoded: ``<@U…>`` becomes ``@display name``, ``<#C…>`` becomes ``#name``,
``<url|label>`` becomes ``label (url)`` and ``&lt; &gt; &amp;`` become ``< > &``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from bot.demo.standin.state import JSON, SYSTEM_SUBTYPES, Channel, Ephemeral, Message, Workspace

_ENTITY = re.compile(r"<([^<>]*)>")
_DIVIDER = "─" * 24


def render_channel(standin: Workspace, channel: str, *, tz: tzinfo = UTC) -> str:
    """The channel's messages, oldest first, with thread replies indented under their parent."""
    found = standin.channel(channel)
    if found is None:
        raise KeyError(f"no channel {channel!r} in the stand-in workspace")
    title = f"#{found.name}"
    if found.topic:
        title += f"  · topic: {decode(standin, found.topic)}"
    lines = [title]
    messages = standin.messages(found.id)
    parents = [m for m in messages if not m.is_reply]
    parent_ts = {m.ts for m in parents}
    orphans = {m.thread_ts for m in messages if m.is_reply and m.thread_ts not in parent_ts}
    for ts in sorted(t for t in orphans if t):
        parents.append(Message(found.id, ts, None, None, "(deleted message)"))
    for message in sorted(parents, key=lambda m: float(m.ts)):
        lines += _message_lines(standin, found, message, tz, "")
        for reply in standin.replies(found.id, message.ts):
            lines += _message_lines(standin, found, reply, tz, "    ↳ ")
    return "\n".join(lines) + "\n"


def render_ephemerals(standin: Workspace, user: str, *, tz: tzinfo = UTC) -> str:
    """What only ``user`` saw: ephemeral messages from the API and from response_urls."""
    person = standin.users[standin.resolve_user(user)]
    lines = [f"Only visible to @{person.shown_name}:"]
    for eph in standin.ephemerals(user=person.id):
        lines += _ephemeral_lines(standin, eph, tz)
    return "\n".join(lines) + "\n"


def _ephemeral_lines(standin: Workspace, eph: Ephemeral, tz: tzinfo) -> list[str]:
    where = standin.channels.get(eph.channel)
    notes = [n for n, on in (("replaces original", eph.replace_original),) if on]
    if eph.delete_original:
        return [f"{_clock(eph.ts, tz)}  (deleted the original message)"]
    body = _block_lines(standin, eph.blocks) if eph.blocks else _text_lines(standin, eph.text)
    head = f"{_clock(eph.ts, tz)}  in #{where.name if where else eph.channel}  "
    head += f"{standin.users[standin.bot_user_id].shown_name}: "
    suffix = f"  ({', '.join(notes)})" if notes else ""
    return _hang(head, [*body[:-1], body[-1] + suffix] if body else [suffix.strip()])


def _message_lines(
    standin: Workspace, channel: Channel, message: Message, tz: tzinfo, indent: str
) -> list[str]:
    clock = _clock(message.ts, tz)
    pin = "📌 " if message.ts in channel.pins else ""
    if message.subtype in SYSTEM_SUBTYPES:
        return [f"{indent}{clock}  {pin}· {decode(standin, message.text)}"]
    body = _block_lines(standin, message.blocks) if message.blocks else []
    if not body and message.text:
        body = _text_lines(standin, message.text)
    for attachment in message.attachments:
        text = str(attachment.get("text") or attachment.get("fallback") or "")
        body += [f"│ {line}" for line in _text_lines(standin, text)]
    body += [f"[file: {f.get('name') or f.get('title') or f.get('id')}]" for f in message.files]
    if not body:
        body = [""]
    if message.edited_history:
        body[-1] += " (edited)"
    return _hang(f"{indent}{clock}  {pin}{_author(standin, message)}: ", body)


def _hang(head: str, body: list[str]) -> list[str]:
    pad = " " * len(head)
    return [head + body[0]] + [pad + line if line else "" for line in body[1:]]


def _clock(ts: str, tz: tzinfo) -> str:
    return datetime.fromtimestamp(float(ts), tz).strftime("%H:%M")


def _author(standin: Workspace, message: Message) -> str:
    user = standin.user(message.user) if message.user else None
    if user is not None:
        return user.shown_name
    return message.bot_id or "unknown"


def _text_lines(standin: Workspace, text: str) -> list[str]:
    return decode(standin, text).split("\n")


def decode(standin: Workspace, text: str) -> str:
    """Slack mrkdwn entities to readable text (names instead of ids, links as label (url))."""
    out: list[str] = []
    last = 0
    for match in _ENTITY.finditer(text):
        out.append(_unescape(text[last : match.start()]))
        out.append(_entity(standin, match.group(1)))
        last = match.end()
    out.append(_unescape(text[last:]))
    return "".join(out)


def _entity(standin: Workspace, inner: str) -> str:
    target, _, label = inner.partition("|")
    label = _unescape(label)
    if target.startswith("@"):
        user = standin.user(target[1:])
        return "@" + (user.shown_name if user else label or target[1:])
    if target.startswith("#"):
        channel = standin.channels.get(target[1:])
        return "#" + (channel.name if channel else label or target[1:])
    if target.startswith("!"):
        command = target[1:]
        if command.startswith("subteam^"):
            return label or "@" + command.split("^", 1)[1]
        if command.startswith("date^"):
            return label
        return "@" + command
    url = _unescape(target)
    return f"{label} ({url})" if label and label != url else url


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(standin: Workspace, obj: object) -> str:
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return decode(standin, text) if obj.get("type") == "mrkdwn" else text


def _block_lines(standin: Workspace, blocks: Iterable[JSON]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        lines += _one_block(standin, block)
    return lines


def _one_block(standin: Workspace, block: JSON) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {_text_of(standin, block.get('text'))} =="]
    if kind == "divider":
        return [_DIVIDER]
    if kind == "section":
        lines = _text_of(standin, block.get("text")).split("\n") if "text" in block else []
        fields = [_text_of(standin, f).replace("\n", " ") for f in block.get("fields", [])]
        lines += ["   ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
        if isinstance(block.get("accessory"), dict):
            lines.append(_control(standin, block["accessory"]))
        return lines
    if kind == "context":
        parts = [
            _text_of(standin, e) or f"[{e.get('alt_text', 'image')}]"
            for e in block.get("elements", [])
        ]
        return ["  ".join(p for p in parts if p)]
    if kind == "actions":
        boxes = [e for e in block.get("elements", []) if e.get("type") == "checkboxes"]
        if boxes:
            return [line for box in boxes for line in _checkboxes(standin, box)]
        return ["  ".join(_control(standin, e) for e in block.get("elements", []))]
    if kind == "markdown":
        return _text_lines(standin, str(block.get("text", "")))
    if kind == "rich_text":
        return _rich_text(standin, block.get("elements", []))
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return [f"[{kind}]"]


def _checkboxes(standin: Workspace, element: JSON) -> list[str]:
    """One line per option: `[x] Item — who, when` or `[ ] Item`."""
    ticked = {o.get("value") for o in element.get("initial_options") or []}
    lines = []
    for option in element.get("options") or []:
        mark = "[x]" if option.get("value") in ticked else "[ ]"
        line = f"{mark} {_text_of(standin, option.get('text'))}"
        if option.get("description"):
            line += f" — {_text_of(standin, option['description'])}"
        lines.append(line)
    return lines


def _control(standin: Workspace, element: JSON) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[ {_text_of(standin, element.get('text'))} ]"
    if kind in {"static_select", "users_select", "conversations_select", "external_select"}:
        return f"[ {_text_of(standin, element.get('placeholder')) or 'Select'} ▾ ]"
    if kind == "overflow":
        return "[ ⋯ ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return f"[ {kind} ]"


def _rich_text(standin: Workspace, elements: Iterable[JSON]) -> list[str]:
    lines: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind == "rich_text_list":
            for item in element.get("elements", []):
                lines += [f"• {line}" for line in _rich_text(standin, [item])]
        else:
            prefix = "> " if kind == "rich_text_quote" else ""
            text = "".join(_rich_piece(standin, p) for p in element.get("elements", []))
            lines += [prefix + line for line in text.split("\n")]
    return lines


def _rich_piece(standin: Workspace, piece: JSON) -> str:
    kind = piece.get("type")
    if kind == "text":
        return str(piece.get("text", ""))
    if kind == "link":
        url = str(piece.get("url", ""))
        return f"{piece['text']} ({url})" if piece.get("text") else url
    if kind == "user":
        return _entity(standin, f"@{piece.get('user_id')}")
    if kind == "channel":
        return _entity(standin, f"#{piece.get('channel_id')}")
    if kind == "emoji":
        return f":{piece.get('name')}:"
    if kind == "broadcast":
        return f"@{piece.get('range')}"
    return ""
