"""Start-up opens one resource after another; when a step fails, what was opened is closed."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.app import EXECUTORS, POOL, SLACK_SESSION, create_web_app, running
from bot.config import Policy
from bot.demo.sandbox import sandbox_settings
from bot.demo.standin import SlackStandIn
from bot.errors import CannotStart
from bot.store.db import Pool
from bot.store.migrate import MigrationError
from tests.conftest import FakeClock

BROKEN = "startup_broken"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        yield standin


@asynccontextmanager
async def schema_with_history(db: Pool, migrated: str, history: str) -> AsyncIterator[str]:
    """A database URL on a schema of its own, whose migration history is `history` (a query)."""
    async with db.acquire() as conn:
        await conn.execute(f"CREATE SCHEMA {BROKEN}")
        await conn.execute(
            f"""CREATE TABLE {BROKEN}.schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        await conn.execute(f"INSERT INTO {BROKEN}.schema_migrations {history}")
    try:
        yield migrated + ("&" if "?" in migrated else "?") + f"search_path={BROKEN}"
    finally:
        async with db.acquire() as conn:
            await conn.execute(f"DROP SCHEMA {BROKEN} CASCADE")


async def test_a_refused_migration_stops_start_up_and_closes_the_pool(
    slack: SlackStandIn, db: Pool, migrated: str, clock: FakeClock
) -> None:
    edited = "VALUES (1, 'incidents', 'edited after it was applied')"
    async with schema_with_history(db, migrated, edited) as url:
        app = create_web_app(
            sandbox_settings(slack, database_url=url), Policy(), clock, run_scheduler=False
        )
        with pytest.raises(MigrationError, match="changed after it was applied"):
            async with running(app):
                pass
    assert app[POOL].is_closing()
    assert SLACK_SESSION not in app, "nothing after the migrations was opened"


async def test_an_unreachable_database_stops_start_up_before_anything_opens(
    slack: SlackStandIn, clock: FakeClock
) -> None:
    nowhere = "postgresql://bot@127.0.0.1:1/incidents"
    app = create_web_app(
        sandbox_settings(slack, database_url=nowhere), Policy(), clock, run_scheduler=False
    )
    with pytest.raises(CannotStart, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:1 after 0 s"):
        async with running(app):
            pass
    assert POOL not in app
    assert SLACK_SESSION not in app


async def test_a_failed_recovery_closes_every_resource_opened_before_it(
    slack: SlackStandIn, db: Pool, migrated: str, clock: FakeClock
) -> None:
    """The history says every migration ran, but the tables are gone: recovery's query fails."""
    async with schema_with_history(db, migrated, "SELECT * FROM schema_migrations") as url:
        app = create_web_app(
            sandbox_settings(slack, database_url=url),
            Policy(),
            clock,
            run_scheduler=False,
            environ={"ROLLOUT_DATABASE_URL": migrated},
        )
        with pytest.raises(asyncpg.UndefinedTableError, match="approval_requests"):
            async with running(app):
                pass
    assert app[SLACK_SESSION].closed
    assert app[EXECUTORS].closed
    assert app[POOL].is_closing()
    with pytest.raises(asyncpg.InterfaceError, match="pool is closed"):
        await app[POOL].fetchval("SELECT 1")
