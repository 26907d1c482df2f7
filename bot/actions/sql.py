"""The sql executor: one statement on a target database, in a transaction, under a timeout.

Values are bind parameters, converted to the type PostgreSQL expects for each `$n` (so
`rollout_percentage = $2` takes the typed `25` as an integer). A dry run executes the statement
and the verify query inside the transaction, reports both, and rolls back. If the connection is
lost while committing, nobody can say whether the change landed: the outcome is `unknown`.
"""

import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import asyncpg
import structlog
from asyncpg.prepared_stmt import PreparedStatement
from asyncpg.transaction import Transaction
from pydantic import SecretStr

from bot.actions.catalog import SqlPlan
from bot.domain.approval import ApprovalStatus, Outcome
from bot.store.db import Connection

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to get a connection to the target: apart from the statement's own timeout."""
MAX_ROWS = 10
MAX_ROW_TEXT = 300
_CONNECTION_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)
_INTEGERS = frozenset({"int2", "int4", "int8"})
_TRUE, _FALSE = (
    frozenset({"true", "t", "yes", "on", "1"}),
    frozenset({"false", "f", "no", "off", "0"}),
)


class SqlTargets:
    """A small pool per target database, opened with the bot (see `open_target_pools`)."""

    def __init__(self, pools: Mapping[str, asyncpg.Pool]) -> None:
        self._pools = dict(pools)

    @property
    def closed(self) -> bool:
        return all(pool.is_closing() for pool in self._pools.values())

    def _pool(self, plan: SqlPlan) -> asyncpg.Pool:
        try:
            return self._pools[plan.database]
        except KeyError:
            raise ValueError(f"no connection to database `{plan.database}` here") from None

    async def run(self, plan: SqlPlan, *, dry_run: bool) -> Outcome:
        """Run `plan` once; every failure becomes an Outcome, never an exception."""
        started = time.perf_counter()
        try:
            pool = self._pool(plan)
            async with pool.acquire(timeout=CONNECT_TIMEOUT) as conn:
                result = await _run_on(conn, plan, dry_run=dry_run)
        except (asyncpg.PostgresError, *_CONNECTION_LOST, TimeoutError, ValueError) as error:
            log.warning("sql_action_failed", database=plan.database, error=type(error).__name__)
            result = _Result(ApprovalStatus.FAILED, _describe(error))
        elapsed = (time.perf_counter() - started) * 1000
        return Outcome(
            result.status, result.summary, elapsed, dry_run, result.details, result.verify
        )


@contextlib.asynccontextmanager
async def open_target_pools(
    dsns: Mapping[str, SecretStr],
) -> AsyncIterator[dict[str, asyncpg.Pool]]:
    """One pool per target database for the bot's lifetime, all closed when it ends.

    The pools start empty (`min_size=0`): a target that is down does not stop the bot from
    starting; the first action against it connects, and fails as that action's outcome.
    """
    async with contextlib.AsyncExitStack() as stack:
        pools: dict[str, asyncpg.Pool] = {}
        for database, dsn in dsns.items():
            pool: asyncpg.Pool = await asyncpg.create_pool(
                dsn.get_secret_value(), min_size=0, max_size=4, timeout=CONNECT_TIMEOUT
            )
            stack.push_async_callback(pool.close)
            pools[database] = pool
        yield pools


class _Result(NamedTuple):
    status: ApprovalStatus
    summary: str
    details: tuple[str, ...] = ()
    verify: tuple[str, ...] | None = None


async def _run_on(conn: Connection, plan: SqlPlan, *, dry_run: bool) -> _Result:
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(
            "SELECT set_config('statement_timeout', $1, true)",
            str(int(plan.timeout.total_seconds() * 1000)),
        )
        statement = await conn.prepare(plan.statement)
        rows = _rows(await statement.fetch(*_typed(plan.args, statement)))
        tag = statement.get_statusmsg() or "done"
        verify = await _verify(conn, plan) if dry_run else None
    except BaseException:
        await _roll_back(transaction)
        raise
    if dry_run:
        await transaction.rollback()
        return _Result(ApprovalStatus.SUCCEEDED, tag, rows, verify)
    try:
        await transaction.commit()
    except _CONNECTION_LOST as error:
        return _Result(
            ApprovalStatus.UNKNOWN, f"connection lost while committing: {_describe(error)}"
        )
    return _Result(ApprovalStatus.SUCCEEDED, tag, rows, await _verify(conn, plan))


async def _verify(conn: Connection, plan: SqlPlan) -> tuple[str, ...] | None:
    """The verify query's rows, or why it failed; a failed check never fails the action."""
    if plan.verify is None:
        return None
    try:
        statement = await conn.prepare(plan.verify)
        return _rows(await statement.fetch(*_typed(plan.verify_args, statement))) or ("(no rows)",)
    except (asyncpg.PostgresError, ValueError) as error:
        return (f"verify failed: {_describe(error)}",)


async def _roll_back(transaction: Transaction) -> None:
    try:
        await transaction.rollback()
    except _CONNECTION_LOST:
        log.warning("sql_action_rollback_failed")


def _typed(values: Sequence[str | None], statement: PreparedStatement) -> list[object]:
    """Each validated string as the type its `$n` has; ValueError if it cannot be."""
    kinds = [t.name for t in statement.get_parameters()]
    return [_convert(v, kind) for v, kind in zip(values, kinds, strict=True)]


def _convert(value: str | None, kind: str) -> object:
    if value is None:
        return None
    if kind in _INTEGERS:
        return int(value)
    if kind == "numeric":
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if kind in ("float4", "float8"):
        return float(value)
    if kind == "bool":
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(f"{value!r} is not true or false")
    return value


def _rows(rows: Iterable[asyncpg.Record]) -> tuple[str, ...]:
    shown = [", ".join(f"{k}={_text(v)}" for k, v in row.items()) for row in rows]
    cut = [line if len(line) <= MAX_ROW_TEXT else line[: MAX_ROW_TEXT - 1] + "…" for line in shown]
    return tuple(
        cut[:MAX_ROWS] + ([f"… {len(cut) - MAX_ROWS} more rows"] if len(cut) > MAX_ROWS else [])
    )


def _text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return (
        text
        if isinstance(error, asyncpg.PostgresError | ValueError)
        else f"{type(error).__name__}: {text}"
    )
