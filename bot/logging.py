"""structlog set-up: JSON lines for machines or console lines for people (coloured on a terminal).

Handlers bind the Slack request id and the incident id into contextvars, so every line logged
while serving a request carries them without passing loggers around.

The bot's own lines go straight through structlog. The libraries' (aiohttp, asyncpg, slack_sdk,
slack_bolt) go through the standard `logging` module; their records are rendered by structlog's
`ProcessorFormatter` with the same processors and renderer, so with `LOG_FORMAT=json` every
line on stderr is one JSON object, whoever wrote it.
"""

import logging
import sys

import structlog
from structlog.typing import Processor


class _HideBoltTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we hand it takes precedence,
    on every start; it is expected (our client carries that same token), so it is not shown."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


_BOLT_TOKEN_NOTICE = _HideBoltTokenNotice()


class _LibraryHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler `configure` puts on the root logger (and replaces when called again)."""


def configure(log_format: str, level: str, *, colors: bool = True) -> None:
    """Log to stderr as `log_format` from `level` on.

    Console lines are coloured only when asked (`colors`, off with `NO_COLOR`) and when stderr
    is a terminal: a file or a pipe gets plain text, not ANSI escapes.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=colors and sys.stderr.isatty())
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    _route_library_logs(shared, renderer, max(numeric, logging.WARNING))
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_BOLT_TOKEN_NOTICE)


def _route_library_logs(shared: list[Processor], renderer: Processor, level: int) -> None:
    """Render the standard library's records like the bot's own lines (libraries: WARNING up)."""
    handler = _LibraryHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _LibraryHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
