"""A Markdown runbook read from disk, or the one-line reason it cannot be.

Shared by the policy's `from:` and `incident-bot runbook import`, so both say the same thing
about the same file.
"""

from pathlib import Path

from bot.domain.runbook_markdown import Runbook, parse_runbook


class RunbookUnreadable(Exception):
    """The file cannot be read as a runbook; the message says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_runbook(path: Path) -> Runbook:
    """The runbook at `path` (UTF-8, a byte-order mark allowed); RunbookUnreadable if missing,
    not a file, unreadable or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RunbookUnreadable("no such file") from None
    except IsADirectoryError:
        raise RunbookUnreadable("is a folder, not a Markdown file") from None
    except OSError as error:
        raise RunbookUnreadable(f"cannot read it: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RunbookUnreadable(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}): save it as UTF-8"
        ) from None
    return parse_runbook(text)
