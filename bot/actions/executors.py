"""Run a plan on its target: sql over asyncpg, http over aiohttp. One object holds both."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from bot.actions.catalog import Catalog, HttpPlan, Plan
from bot.actions.http import HttpTarget
from bot.actions.sql import SqlTargets, open_target_pools
from bot.domain.approval import Outcome


class Executors:
    def __init__(self, sql: SqlTargets, http: HttpTarget) -> None:
        self.sql = sql
        self.http = http

    async def run(self, plan: Plan, *, dry_run: bool) -> Outcome:
        if isinstance(plan, HttpPlan):
            return await self.http.run(plan, dry_run=dry_run)
        return await self.sql.run(plan, dry_run=dry_run)

    @property
    def closed(self) -> bool:
        """Whether what they run on is closed: the bot has stopped (or failed to start)."""
        return self.http.closed and self.sql.closed


@contextlib.asynccontextmanager
async def open_executors(catalog: Catalog) -> AsyncIterator[Executors]:
    """The executors with what they connect through — one HTTP session for the deploy APIs and
    a pool per target database the catalog can reach — closed together when the block ends."""
    async with (
        aiohttp.ClientSession() as session,
        open_target_pools(catalog.target_databases()) as pools,
    ):
        yield Executors(SqlTargets(pools), HttpTarget(session))
