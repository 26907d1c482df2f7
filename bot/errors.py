"""The errors a handler turns into an answer a person reads.

Anything else is a bug: it is logged with an error id, and the person gets an apology quoting
that id (`handlers.replies.answered`).
"""


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


class IllegalTransition(NotAllowed):
    """The incident's status cannot move this way (e.g. resolving a resolved incident)."""


class CannotStart(IncidentBotError):
    """The process cannot start where it is: a database that does not answer or refuses it.

    Not a bug: the message names what to check, and the command exits without a traceback.
    """
