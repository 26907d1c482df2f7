"""Connecting to PostgreSQL: the configured `DATABASE_URL`, or an embedded server (pgserver)."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

Pool = asyncpg.Pool


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) a private PostgreSQL whose data lives in `data_dir/pgdata`.

    pgserver hands out a Unix-socket URL; the server is shared by every process that uses the
    same folder and stops when the last of them exits.
    """
    import pgserver  # imported here: it is only needed when no DATABASE_URL is set

    folder = (data_dir / "pgdata").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(folder)  # type: ignore[attr-defined]
    url: str = server.get_uri()
    log.info("embedded_postgres_ready", data_dir=str(folder))
    return url


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    pool: Pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection
    )
    return pool


@asynccontextmanager
async def connect(url: str, **sizes: int) -> AsyncIterator[Pool]:
    pool = await create_pool(url, **sizes)
    try:
        yield pool
    finally:
        await pool.close()
