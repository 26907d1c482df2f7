"""The errors a handler turns into an answer a person reads.

Anything else is a bug: it is logged with an error id, and the person gets an apology quoting
that id (`handlers.replies.answered`).
"""

from collections.abc import Sequence


class IncidentBotError(Exception):
    """Base of every error the bot explains to a user."""


class UsageError(IncidentBotError):
    """The command was malformed; `usage` is the line that shows how to write it."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class NotAllowed(IncidentBotError):
    """The command is well formed but not allowed here, now, or for this person."""


class NotFound(IncidentBotError):
    """The thing the command addresses does not exist."""


class SlackRefused(IncidentBotError):
    """The change was recorded, then Slack refused to show it.

    Not the person's mistake and nothing to undo: the database holds the truth. `recorded` says
    what was done ("Update #3 was recorded"); each of `refused` names a step Slack refused, with
    Slack's code ("post the update (channel_not_found)").
    """

    def __init__(self, recorded: str, refused: Sequence[str]) -> None:
        super().__init__(f"{recorded}; Slack refused: {'; '.join(refused)}")
        self.recorded = recorded
        self.refused = tuple(refused)


class IllegalTransition(NotAllowed):
    """The incident's status cannot move this way (e.g. resolving a resolved incident)."""
