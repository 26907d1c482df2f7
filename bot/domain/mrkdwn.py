"""User text is data: escape it so Slack shows it as typed, never as a ping or a link."""

import re

_ENTITIES = (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"))


class Mrkdwn(str):
    """Text that is already valid mrkdwn (a mention we built, a link we made): not escaped again."""

    __slots__ = ()


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack asks.

    Slack may deliver text with these already escaped; decoding first keeps escaping idempotent,
    so `&lt;!channel&gt;` and `<!channel>` both end up shown as `<!channel>`.
    """
    if isinstance(text, Mrkdwn):
        return text
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> Mrkdwn:
    return Mrkdwn(f"<@{user_id}>")


def channel_link(channel_id: str) -> Mrkdwn:
    return Mrkdwn(f"<#{channel_id}>")


_PERSON_OR_CHANNEL = re.compile(r"<([@#])([UWC][A-Z0-9]+)(?:\|[^<>]*)?>")


def quote(text: str) -> Mrkdwn:
    """A message people wrote in Slack, shown back: its @-mentions and channel links stay (Slack
    shows them as names), everything else — `<!channel>`, links, `&` — is escaped as typed.
    """
    parts: list[str] = []
    last = 0
    for found in _PERSON_OR_CHANNEL.finditer(text):
        parts += [escape(text[last : found.start()]), f"<{found.group(1)}{found.group(2)}>"]
        last = found.end()
    parts.append(escape(text[last:]))
    return Mrkdwn("".join(parts))


def slack_link(url: str | None, label: str) -> Mrkdwn:
    """A link with an escaped label; only plain http(s) URLs become links."""
    if not url or not url.startswith(("https://", "http://")) or re.search(r"[\s<>|]", url):
        return Mrkdwn(escape(label))
    return Mrkdwn(f"<{url}|{escape(label)}>")
