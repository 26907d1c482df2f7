"""With LOG_FORMAT=json, every line on stderr is JSON: the bot's own and the libraries'."""

import io
import json
import logging
import sys

import pytest
import structlog

from bot.logging import configure


def stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_library_line_is_json_with_its_logger_and_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("json", "INFO")
    logging.getLogger("aiohttp.server").warning("Error handling request from %s", "10.0.0.7")
    structlog.get_logger("bot.app").info("bot_ready", port=3000)
    library, own = stderr_lines(capsys)
    assert library["event"] == "Error handling request from 10.0.0.7"
    assert library["logger"] == "aiohttp.server"
    assert library["level"] == "warning"
    assert "timestamp" in library
    assert own["event"] == "bot_ready"


def test_a_library_traceback_stays_inside_its_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("json", "INFO")
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError:
        logging.getLogger("asyncpg.pool").exception("connection lost")
    (line,) = stderr_lines(capsys)
    assert line["event"] == "connection lost"
    assert "ConnectionResetError: peer went away" in str(line["exception"])


def test_library_lines_below_warning_are_not_shown(capsys: pytest.CaptureFixture[str]) -> None:
    configure("json", "DEBUG")
    logging.getLogger("slack_sdk.web.async_base_client").info("Sending a request")
    assert capsys.readouterr().err == ""


def test_configuring_twice_writes_each_library_line_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("console", "INFO")
    configure("json", "INFO")
    logging.getLogger("slack_bolt.AsyncApp").error("Failed to run a listener")
    (line,) = stderr_lines(capsys)
    assert line["logger"] == "slack_bolt.AsyncApp"


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_console_lines_are_coloured_on_a_terminal_only_unless_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for colors, expected in ((True, True), (False, False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        configure("console", "INFO", colors=colors)
        structlog.get_logger("bot.app").info("bot_ready", port=3000)
        assert ("\x1b[" in terminal.getvalue()) is expected, colors


def test_console_lines_to_a_file_or_pipe_are_plain(capsys: pytest.CaptureFixture[str]) -> None:
    configure("console", "INFO", colors=True)
    structlog.get_logger("bot.app").info("bot_ready", port=3000)
    logging.getLogger("aiohttp.server").warning("Error handling request")
    err = capsys.readouterr().err
    assert "bot_ready" in err
    assert "Error handling request" in err
    assert "\x1b[" not in err
