"""Pooled connections are not reset on release: session state taken for a block never outlives it."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from functools import partial

import pytest

from bot.scheduler import Scheduler
from bot.store import approvals
from bot.store.db import Connection, Pool, create_pool, session_state
from tests.conftest import FakeClock

KEY = 0x5E55


@pytest.fixture
async def one_connection(migrated: str) -> AsyncIterator[Pool]:
    """A pool of one connection: whatever a block leaves on it, the next borrower gets."""
    pool = await create_pool(migrated, min_size=1, max_size=1)
    yield pool
    await pool.close()


def lock(conn: Connection, key: int) -> tuple[partial[Awaitable[str]], partial[Awaitable[str]]]:
    return (
        partial(conn.execute, "SELECT pg_advisory_lock($1)", key),
        partial(conn.execute, "SELECT pg_advisory_unlock($1)", key),
    )


async def is_free(db: Pool, key: int) -> bool:
    """Whether another session can take the advisory lock `key` right now."""
    async with db.acquire() as conn:
        taken = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
        if taken:
            await conn.execute("SELECT pg_advisory_unlock($1)", key)
        return taken


async def held_locks(pool: Pool) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        )


async def fail_while_holding(db: Pool, conn: Connection) -> None:
    async with session_state(conn, *lock(conn, KEY)):
        assert not await is_free(db, KEY)
        raise ValueError("the block failed")


async def test_a_lock_held_for_a_block_is_given_back_when_the_block_fails(
    db: Pool, one_connection: Pool
) -> None:
    async with one_connection.acquire() as conn:
        with pytest.raises(ValueError, match="the block failed"):
            await fail_while_holding(db, conn)
    assert await is_free(db, KEY)
    assert await held_locks(one_connection) == 0, "the next borrower inherits no lock"


async def test_a_connection_killed_while_holding_state_is_replaced_and_the_lock_freed(
    db: Pool, one_connection: Pool
) -> None:
    async with (
        one_connection.acquire() as conn,
        session_state(conn, *lock(conn, KEY)),
        db.acquire() as killer,
    ):
        await killer.fetchval("SELECT pg_terminate_backend($1, 5000)", conn.get_server_pid())
    assert await is_free(db, KEY)
    async with one_connection.acquire() as conn:
        assert await conn.fetchval("SELECT 1") == 1, "the pool serves a fresh connection"


async def test_a_request_lock_is_given_back_after_the_run(db: Pool, one_connection: Pool) -> None:
    async with one_connection.acquire() as conn, approvals.held(conn, 42):
        assert not await _request_lock_free(db, 42)
    assert await _request_lock_free(db, 42)
    assert await held_locks(one_connection) == 0


async def _request_lock_free(db: Pool, request_id: int) -> bool:
    async with db.acquire() as conn:
        taken = await conn.fetchval(
            "SELECT pg_try_advisory_lock($1::int, $2::int)", 0x0A99_0004, request_id
        )
        if taken:
            await conn.execute(
                "SELECT pg_advisory_unlock($1::int, $2::int)", 0x0A99_0004, request_id
            )
        return bool(taken)


async def test_a_stopped_scheduler_leaves_no_listener_on_its_pooled_connections(
    migrated: str, clock: FakeClock
) -> None:
    pool = await create_pool(migrated, min_size=2, max_size=2)
    try:
        scheduler = Scheduler(pool, clock, {})
        loop = asyncio.create_task(scheduler.run_forever())
        await scheduler.sleeping.wait()
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
        async with pool.acquire() as first, pool.acquire() as second:
            for conn in (first, second):
                assert await conn.fetch("SELECT pg_listening_channels()") == []
    finally:
        await pool.close()
