"""The one way work done for a person after the ack answers its problems.

Slack has had its ack by then, so whatever goes wrong can only reach the person through a
reply. `answered` runs the work and turns each kind of problem into one kind of answer, and
says which it was, so commands and interactions count the same outcomes:

- a refusal the bot explains (`IncidentBotError`) → its words (`Composer.problem`);
- a delivery whose work was done before (`AlreadyHandled`) → nothing, counted as a duplicate;
- anything else, a bug → an apology quoting an error id, and the traceback logged as
  `unexpected_error` with that same id, so the person's report leads to the log line.
"""

import secrets
from collections.abc import Awaitable
from enum import StrEnum

import structlog

from bot.errors import IncidentBotError
from bot.services.context import AlreadyHandled, Reply
from bot.slack.composer import Composer

log = structlog.get_logger(__name__)


class Outcome(StrEnum):
    """How the work ended: the `outcome` label of the commands and interactions metrics."""

    OK = "ok"
    REFUSED = "refused"
    DUPLICATE = "duplicate"
    ERROR = "error"


def new_error_id() -> str:
    """A short id a person can read out: `3f9c1a2b`."""
    return secrets.token_hex(4)


async def answered(work: Awaitable[object], *, reply: Reply, compose: Composer) -> Outcome:
    """Run `work` for the person `reply` answers, and tell them of any problem.

    Nothing is raised: every exception ends here, answered and logged (asyncio's cancellation,
    a `BaseException`, still propagates).
    """
    try:
        await work
    except AlreadyHandled:
        log.info("duplicate_delivery_ignored")
        return Outcome.DUPLICATE
    except IncidentBotError as error:
        await reply(compose.problem(error))
        return Outcome.REFUSED
    except Exception:
        error_id = new_error_id()
        log.exception("unexpected_error", error_id=error_id)
        await reply(compose.apology(error_id))
        return Outcome.ERROR
    return Outcome.OK
