"""Whether `DATABASE_URL` can be reached at start-up, said in one line an operator can act on.

A database that does not answer yet (a container still starting, a failover) is waited for,
with a countdown line per attempt; one that answers but refuses the login or has no such
database is not waited for: retrying cannot fix a wrong URL. Nothing here ever shows the
password: places are named by host, port and database only.
"""

import asyncio
import errno
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import structlog

from bot.errors import CannotStart, UsageError

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 5.0
ATTEMPT_TIMEOUT = 10.0

_DEFAULT_PORT = 5432


@dataclass(frozen=True)
class Place:
    """Where a database URL points, without its credentials."""

    host: str
    port: int
    dbname: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.address}/{self.dbname}"


def place_of(url: str) -> Place:
    """Host, port and database of a libpq URL (`?host=` and `?port=` too), for messages and logs.

    Raises UsageError when the URL is not one: asyncpg's own error would quote it, password
    and all.
    """
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = parts.hostname or query.get("host", ["localhost"])[0]
        port = parts.port or int(query.get("port", [_DEFAULT_PORT])[0])
    except ValueError:
        raise UsageError(
            "DATABASE_URL is not a PostgreSQL URL: write postgresql://user:password@host:5432/dbname"
        ) from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise UsageError("DATABASE_URL must start with postgresql:// (or postgres://)")
    user = unquote(parts.username or "")
    dbname = unquote(parts.path.lstrip("/")) or query.get("dbname", [user or "postgres"])[0]
    return Place(host, port, dbname)


async def wait_until_reachable(
    url: str,
    within: timedelta,
    *,
    sleep: Sleep = asyncio.sleep,
    monotonic: Monotonic = time.monotonic,
) -> None:
    """Return once PostgreSQL at `url` accepts a connection; retry for `within`, then give up.

    Each failed attempt logs how long the bot will keep trying; the pause between attempts
    doubles from a second up to five. Raises CannotStart (one line naming host and port) when
    time is up or the server refuses the login, UsageError when the URL is malformed.
    """
    place = place_of(url)
    deadline = monotonic() + within.total_seconds()
    pause = FIRST_PAUSE
    while True:
        left = deadline - monotonic()
        problem = await _attempt(url, place, seconds=min(ATTEMPT_TIMEOUT, max(left, 1.0)))
        if problem is None:
            return
        left = deadline - monotonic()
        if left <= 0:
            raise CannotStart(
                f"cannot reach PostgreSQL at {place.address} after {_seconds(within)}: {problem}."
                " Is DATABASE_URL right?"
            )
        log.warning(
            f"PostgreSQL at {place.address} is not answering ({problem});"
            f" retrying for {_seconds(timedelta(seconds=left))} more"
        )
        await sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE)


async def _attempt(url: str, place: Place, *, seconds: float) -> str | None:
    """None when a connection opens; else why not, when waiting may help. Raises when it cannot."""
    try:
        conn = await asyncpg.connect(url, timeout=seconds)
    except (asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as error:
        return str(error)
    except asyncpg.PostgresError as error:
        raise CannotStart(_refusal(place, error)) from None
    except (OSError, TimeoutError) as error:
        return _network_problem(error, seconds)
    await conn.close()
    return None


def _refusal(place: Place, error: asyncpg.PostgresError) -> str:
    """The server answered and said no: a wrong password, user or database name."""
    hint = {
        asyncpg.InvalidPasswordError: "check the user and password in DATABASE_URL",
        asyncpg.InvalidAuthorizationSpecificationError: "check the user in DATABASE_URL, and that pg_hba.conf lets it in",
        asyncpg.InvalidCatalogNameError: "check the database name in DATABASE_URL, or create it",
    }.get(type(error), "check DATABASE_URL")
    return f"PostgreSQL at {place.address} refused the bot: {error}; {hint}"


def _network_problem(error: OSError | TimeoutError, seconds: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {seconds:.0f} s"
    if isinstance(error, socket.gaierror):
        return "no such host name"
    if isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED:
        return "connection refused"
    return error.strerror or str(error)


def _seconds(delta: timedelta) -> str:
    return f"{max(0, round(delta.total_seconds()))} s"
