"""Slack text made readable and safe inside a Markdown document.

Slack delivers text with its own markup (`<@U123>`, `<https://x|label>`, `&lt;`); a post-mortem
reader wants names and plain links. Inside the document every value is one line of inline
Markdown: a `|` or a line break in someone's message must not end a table cell or start a
heading, and raw HTML must not render.
"""

import re
from collections.abc import Mapping

_ENTITY = re.compile(r"<([^<>]*)>")
_SPECIALS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_INLINE = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;", "\r": "", "\n": "<br>"}
)
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")


class Markdown(str):
    """Markdown the bot built itself (a link, a block): printed as is."""

    __slots__ = ()


def inline(text: str) -> Markdown:
    """`text` as one line of inline Markdown that can't break a table, a list or the page."""
    if isinstance(text, Markdown):
        return text
    text = _ENTITY_LIKE.sub("&amp;", text) if "&" in text else text
    return Markdown(text.strip().translate(_INLINE))


def link(label: str, url: str | None) -> Markdown:
    """A link whose label is escaped; no link at all unless the URL is plain http(s)."""
    if not url or not url.startswith(("https://", "http://")) or re.search(r"[\s()<>]", url):
        return inline(label)
    text = inline(label).replace("[", "\\[").replace("]", "\\]")
    return Markdown(f"[{text}]({url})")


def from_slack(text: str, names: Mapping[str, str]) -> str:
    """Slack's markup as plain text: `<@U1>` → `@alice`, `<url|label>` → `label (url)`."""
    if "<" in text:
        text = _ENTITY.sub(lambda m: _entity(m.group(1), names), text)
    return _unescape(text) if "&" in text else text


def _entity(inner: str, names: Mapping[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + names.get(target[1:], label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        return label or _SPECIALS.get(word, f"@{word}")
    return f"{label} ({target})" if label and label != target else target


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
