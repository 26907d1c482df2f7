"""User text is data: escape it so Slack shows it as typed, never as a ping or a link."""

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
