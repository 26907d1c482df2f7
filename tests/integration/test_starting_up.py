"""What an operator sees when the bot cannot start as configured: one line saying what to fix."""

import os
import pty
import socket
import subprocess
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from structlog.testing import capture_logs

from bot.demo.sandbox import sandbox
from bot.errors import CannotStart
from bot.store.availability import wait_until_reachable
from bot.store.db import Pool
from tests import cli
from tests.conftest import FakeClock

PASSWORD = "s3cret-pw"


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """This checkout's `incident-bot`, in a folder of its own, with only the variables given."""
    return cli.run_cli(*args, cwd=cwd, env=env)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Countdown:
    """An injected clock and sleep: waiting moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def countdown() -> Countdown:
    return Countdown()


def with_database(url: str, *, dbname: str | None = None, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        netloc = f"{user}@{netloc.rpartition('@')[2]}"
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit(parts._replace(netloc=netloc, path=path))


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["check-config"], ["postmortem", "1"]])
def test_bad_settings_are_one_line_each_for_every_command(
    command: list[str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PORT=abc\nLOG_LEVEL=chatty\n")
    done = run_cli(*command, cwd=tmp_path, LOG_FORMAT="xml")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: LOG_FORMAT='xml' is not accepted: use json or console",
        "error: LOG_LEVEL='CHATTY' is not accepted: use DEBUG, INFO, WARNING, ERROR or CRITICAL",
        "error: PORT='abc' is not a port number (1–65535)",
    ]


def test_a_port_out_of_range_is_refused(tmp_path: Path) -> None:
    done = run_cli("migrate", cwd=tmp_path, PORT="70000")
    assert (done.returncode, done.stderr) == (
        2,
        "error: PORT='70000' is not a port number (1–65535)\n",
    )


def test_a_malformed_database_url_is_named_without_its_password(tmp_path: Path) -> None:
    done = run_cli(
        "migrate", cwd=tmp_path, DATABASE_URL=f"postgresql://bot:{PASSWORD}@db:fivefour/incidents"
    )
    assert done.returncode == 2
    assert done.stderr == (
        "error: DATABASE_URL is not a PostgreSQL URL:"
        " write postgresql://user:password@host:5432/dbname\n"
    )


def test_an_unreadable_policy_file_is_one_line(tmp_path: Path) -> None:
    missing, binary = tmp_path / "missing.yml", tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfe\x00timezone: UTC")
    done = run_cli("migrate", cwd=tmp_path, INCIDENT_BOT_CONFIG=str(missing))
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {missing}: cannot read the policy file: No such file or directory\n",
    )
    done = run_cli("migrate", cwd=tmp_path, INCIDENT_BOT_CONFIG=str(binary))
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {binary}: cannot read the policy file: it is not UTF-8 text: save it as UTF-8\n",
    )


def test_serve_gives_up_on_an_unreachable_database_in_one_line(
    tmp_path: Path, closed_port: int
) -> None:
    done = run_cli(
        "serve",
        "--wait-for-db",
        "0s",
        cwd=tmp_path,
        DATABASE_URL=f"postgresql://bot:{PASSWORD}@127.0.0.1:{closed_port}/incidents",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="signing",
    )
    assert done.returncode == 1
    *warnings, last = done.stderr.splitlines()
    assert last == (
        f"error: cannot reach PostgreSQL at 127.0.0.1:{closed_port} after 0 s:"
        " connection refused. Is DATABASE_URL right?"
    )
    assert all(line.startswith("warning: actions.") for line in warnings)  # unset targets


async def test_an_unreachable_database_is_retried_with_a_countdown(
    closed_port: int, countdown: Countdown
) -> None:
    url = f"postgresql://bot:{PASSWORD}@127.0.0.1:{closed_port}/incidents"
    with capture_logs() as logs, pytest.raises(CannotStart) as gave_up:
        await wait_until_reachable(
            url,
            timedelta(seconds=30),
            sleep=countdown.sleep,
            monotonic=countdown.monotonic,
        )
    assert str(gave_up.value) == (
        f"cannot reach PostgreSQL at 127.0.0.1:{closed_port} after 30 s:"
        " connection refused. Is DATABASE_URL right?"
    )
    assert countdown.pauses == [1, 2, 4, 5, 5, 5, 5, 3]
    said = [line["event"] for line in logs]
    assert said[0] == (
        f"PostgreSQL at 127.0.0.1:{closed_port} is not answering (connection refused);"
        " retrying for 30 s more"
    )
    assert [event.rsplit("for ", 1)[1] for event in said] == [
        f"{left} s more" for left in (30, 29, 27, 23, 18, 13, 8, 3)
    ]
    assert PASSWORD not in " ".join(said)


async def test_a_database_that_answers_is_not_waited_for(
    migrated: str, countdown: Countdown
) -> None:
    with capture_logs() as logs:
        await wait_until_reachable(
            migrated, timedelta(seconds=30), sleep=countdown.sleep, monotonic=countdown.monotonic
        )
    assert (countdown.pauses, logs) == ([], [])


@pytest.mark.parametrize(
    ("wrong", "problem"),
    [
        ({"dbname": "no_such_db"}, 'database "no_such_db" does not exist; check the database name'),
        ({"user": "nobody_here"}, 'role "nobody_here" does not exist; check the user'),
    ],
)
async def test_a_wrong_database_or_user_is_said_at_once_not_retried(
    migrated: str, countdown: Countdown, wrong: dict[str, str], problem: str
) -> None:
    with pytest.raises(CannotStart) as refused:
        await wait_until_reachable(
            with_database(migrated, **wrong),
            timedelta(seconds=30),
            sleep=countdown.sleep,
            monotonic=countdown.monotonic,
        )
    assert "refused the bot: " in str(refused.value)
    assert problem in str(refused.value)
    assert "\n" not in str(refused.value)
    assert countdown.pauses == []


def stderr_on_a_terminal(*args: str, cwd: Path, **env: str) -> str:
    """What the CLI writes to stderr when stderr is a terminal (a pseudo-terminal here)."""
    controller, terminal = pty.openpty()
    try:
        subprocess.run(  # noqa: S603 - our own CLI
            [*cli.COMMAND, *args],
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            timeout=60,
            check=False,
            cwd=cwd,
            env=cli.environment(env),
        )
        os.close(terminal)
        terminal = -1
        written = b""
        while chunk := _read(controller):
            written += chunk
        return written.decode()
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end is closed: all was read
        return b""


def test_console_logs_are_coloured_on_a_terminal_unless_no_color(
    tmp_path: Path, closed_port: int
) -> None:
    args = ("migrate", "--wait-for-db", "1s")
    url = f"postgresql://bot@127.0.0.1:{closed_port}/incidents"
    coloured = stderr_on_a_terminal(*args, cwd=tmp_path, DATABASE_URL=url)
    plain = stderr_on_a_terminal(*args, cwd=tmp_path, DATABASE_URL=url, NO_COLOR="1")
    assert "is not answering" in coloured
    assert "\x1b[" in coloured
    assert "is not answering" in plain
    assert "\x1b[" not in plain


async def test_bot_ready_names_port_mode_database_and_version(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    parts = urlsplit(migrated)
    host = parts.hostname or parse_qs(parts.query)["host"][0]
    dbname = parts.path.lstrip("/")
    with_password = urlunsplit(
        parts._replace(netloc=f"{parts.username}:{PASSWORD}@{parts.netloc.rpartition('@')[2]}")
    )
    with capture_logs() as logs:
        async with sandbox(database_url=with_password, clock=clock, port=8123):
            pass
    ready = next(line for line in logs if line["event"] == "bot_ready")
    assert ready["port"] == 8123
    assert ready["mode"] == "http"
    assert ready["database"] == f"{host}:{parts.port or 5432}/{dbname}"
    assert ready["version"] == version("incident-bot")
    assert PASSWORD not in str(logs)
