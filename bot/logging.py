"""structlog set-up: JSON lines for machines or coloured console lines for people.

Handlers bind the Slack request id and the incident id into contextvars, so every line logged
while serving a request carries them without passing loggers around.
"""

import logging
import sys

import structlog


class _HideBoltTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we hand it takes precedence,
    on every start; it is expected (our client carries that same token), so it is not shown."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


_BOLT_TOKEN_NOTICE = _HideBoltTokenNotice()


def configure(log_format: str, level: str) -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        stream=sys.stderr,
        level=max(numeric, logging.WARNING),
        format="%(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_BOLT_TOKEN_NOTICE)
