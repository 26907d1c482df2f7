"""Shared fixtures: one PostgreSQL per test session, a clean schema per test, a clock to move."""

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import structlog

from bot.store.db import Pool, create_pool, start_embedded
from bot.store.migrate import migrate

_KEPT = ("schema_migrations",)


class FakeClock:
    """The injected clock: tests move it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def _logging_put_back() -> Iterator[None]:
    """`bot.logging.configure` (the demo, tests of log lines) gives the root logger a handler on
    that test's captured stderr; after the test, logging is as it was before it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """`DATABASE_URL` when set (CI against a real server), else an embedded pgserver.

    Under pytest-xdist (`-n auto`) each worker empties tables test by test, so each has a
    database of its own: its own embedded server, or its own database on `DATABASE_URL`'s."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        yield await _database_of(url, worker) if worker else url
        return
    server = start_embedded(Path(tmp_path_factory.mktemp("pgdata")))
    yield server.get_uri()
    server.cleanup()


async def _database_of(url: str, worker: str) -> str:
    """A database named after the worker on the server of `url` (made if missing), its URL."""
    name = f"incident_bot_test_{worker}"
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return database_url


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[Pool]:
    """A pool on a freshly emptied schema, for asserting what rows a test left behind."""
    pool = await create_pool(migrated, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        tables = await conn.fetchval(
            """SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables
               WHERE schemaname = current_schema() AND tablename <> ALL($1::text[])""",
            list(_KEPT),
        )
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield pool
    await pool.close()
