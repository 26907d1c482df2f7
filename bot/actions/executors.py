"""Run a plan on its target: sql over asyncpg, http over aiohttp. One object owns both."""

import asyncio

from bot.actions.catalog import HttpPlan, Plan
from bot.actions.http import HttpTarget
from bot.actions.sql import SqlTargets
from bot.domain.approval import Outcome


class Executors:
    def __init__(self) -> None:
        self.sql = SqlTargets()
        self.http = HttpTarget()

    async def run(self, plan: Plan, *, dry_run: bool) -> Outcome:
        if isinstance(plan, HttpPlan):
            return await self.http.run(plan, dry_run=dry_run)
        return await self.sql.run(plan, dry_run=dry_run)

    async def close(self) -> None:
        await asyncio.gather(self.sql.close(), self.http.close())
