"""Free text from outside, made safe to store and show before anything is done with it.

PostgreSQL's `text` and `jsonb` cannot hold NUL, and UTF-8 cannot hold a lone surrogate (which
JSON's `"\\ud800"` can spell): such a character reaching an INSERT fails the whole transaction,
after Slack may already have been asked to do something. Other control characters are invisible
in Slack and only confuse whoever reads the text later. So text is checked at the edge, once:

- what people *said* (updates, notes, resolutions, channel messages, alert fields) has the
  characters removed and the rest kept, so nothing a person wrote is lost;
- what *names* something (a title, an action's arguments) is refused with a `UsageError`, so
  the person retypes it rather than getting a name they did not type.

Newline and tab are text, not control: they are always kept. Everything else, emoji included,
is kept as it came.
"""

import re

from bot.errors import UsageError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 controls but tab and newline, DEL, C1 controls, and lone surrogates."""

MAX_DEPTH = 32
"""How deep a JSON payload may nest. Slack's and the alert senders' go a dozen levels at most;
far deeper is an attack on the parser (Python's own recursion limit is about 1,000)."""


class TooDeep(ValueError):
    """A JSON value nests deeper than `MAX_DEPTH`."""


def clean_text(text: str) -> str:
    """`text` without control characters (tab and newline kept): `"a\\x00b 🔥"` → `"ab 🔥"`."""
    return _CONTROL.sub("", text)


def check_plain(text: str, what: str) -> str:
    """`text` unchanged, or a `UsageError` naming the first control character in it.

    For text that names something: removing a character would make it name something else.
    """
    found = _CONTROL.search(text)
    if found is None:
        return text
    code = f"U+{ord(found.group()):04X}"
    raise UsageError(
        f"The {what} contains an invisible control character ({code}): type it again without it."
    )


def check_title(title: str) -> str:
    """An incident's title as typed, or a refusal if it holds a control character."""
    return check_plain(title, "title")


def clean_json(value: object, max_depth: int = MAX_DEPTH) -> object:
    """A parsed JSON value with every string in it, keys included, passed through `clean_text`.

    Raises `TooDeep` when arrays and objects nest more than `max_depth` levels.
    """

    def clean(item: object, room: int) -> object:
        if isinstance(item, str):
            return clean_text(item)
        if not isinstance(item, dict | list):
            return item
        if room <= 0:
            raise TooDeep(f"the JSON nests deeper than {max_depth} levels")
        if isinstance(item, list):
            return [clean(inner, room - 1) for inner in item]
        return {clean_text(str(key)): clean(inner, room - 1) for key, inner in item.items()}

    return clean(value, max_depth)
