"""Connecting to PostgreSQL: the configured `DATABASE_URL`, or an embedded server (pgserver)."""

import asyncio
import contextlib
import json
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

log = structlog.get_logger(__name__)

Pool = asyncpg.Pool
Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own or one borrowed from the pool: store functions take either."""


def start_embedded(folder: Path) -> Any:
    """Start (or join) a private PostgreSQL whose data lives in `folder`.

    pgserver ships the server binaries in its wheel and hands out a Unix-socket URL; the server
    is shared by every process using the same folder and stops when the last of them exits.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver  # only needed when no DATABASE_URL is set

        folder.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(folder.resolve())  # type: ignore[attr-defined]


def embedded_database_url(data_dir: Path) -> str:
    url: str = start_embedded(data_dir / "pgdata").get_uri()
    log.info("embedded_postgres_ready", data_dir=str(data_dir.resolve()))
    return url


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(_: asyncpg.Connection) -> None:
    """Skip asyncpg's reset query on release: it costs a round trip per unit of work."""


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    """The process's pool on the bot's database.

    Connections are **not** reset when they go back to the pool (`_keep_session`): whatever
    session state a unit of work leaves behind — an advisory lock, a `SET`, a `LISTEN` — stays
    on the connection for the next borrower. So session state is taken only through
    `session_state`, which always gives it back; transaction-scoped state (`SET LOCAL`,
    `pg_advisory_xact_lock`) needs nothing, it ends with its transaction.
    """
    pool: Pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    return pool


_DROPPED_WITH_SESSION = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@asynccontextmanager
async def session_state(
    conn: Connection,
    take: Callable[[], Awaitable[object]],
    give_back: Callable[[], Awaitable[object]],
) -> AsyncIterator[None]:
    """Hold session-level state on `conn` for the length of a `with` block, and always end it.

    The one way the bot takes state that outlives a transaction on a pooled connection:

        async with session_state(
            conn,
            partial(conn.execute, "SELECT pg_advisory_lock($1)", key),
            partial(conn.execute, "SELECT pg_advisory_unlock($1)", key),
        ):
            ...

    When giving it back fails (the connection broke, the task was cancelled mid-query), or when
    taking it failed half-way, nobody can say what the session still holds: the connection is
    terminated, which ends every lock and listener with it, and the pool replaces it.
    """
    try:
        await take()
    except BaseException:
        _drop(conn)
        raise
    try:
        yield
    finally:
        try:
            await give_back()
        except _DROPPED_WITH_SESSION as error:
            log.warning("session_state_dropped", error=type(error).__name__)
            _drop(conn)
        except BaseException:
            _drop(conn)
            raise


def _drop(conn: Connection) -> None:
    """End the session; a connection that already died has been let go by its pool (InterfaceError)."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


@asynccontextmanager
async def connect(url: str, **sizes: int) -> AsyncIterator[Pool]:
    pool = await create_pool(url, **sizes)
    try:
        yield pool
    finally:
        await pool.close()


async def is_reachable(pool: Pool) -> bool:
    """Whether a connection can be had and answers within two seconds."""
    try:
        async with asyncio.timeout(2), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True


@asynccontextmanager
async def listening(
    pool: Pool, channel: str, callback: Callable[[Any, int, str, object], None]
) -> AsyncIterator[None]:
    """LISTEN on `channel` on a connection held for the block: NOTIFY calls `callback`. The
    listener is removed on the way out (`session_state`), so the connection goes back clean."""
    async with (
        pool.acquire() as conn,
        session_state(
            conn,
            partial(conn.add_listener, channel, callback),
            partial(conn.remove_listener, channel, callback),
        ),
    ):
        yield


ABANDONED = """(leased_until < $1 OR (claimed_by IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM pg_stat_activity WHERE pid = claimed_by)))"""
"""A claimed row whose claimer is gone: its lease ran out, or the replica that claimed it no
longer holds its presence connection (it died: PostgreSQL ended that session at once)."""


@asynccontextmanager
async def presence(pool: Pool) -> AsyncIterator[int]:
    """Hold one connection for the life of this replica; its backend pid marks what the replica
    claims, so that when the process dies its claims are taken over at once, not after a lease."""
    async with pool.acquire() as conn:
        yield conn.get_server_pid()
