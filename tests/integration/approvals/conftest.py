"""Fixtures for actions: a real target database, a real deploy API on loopback, the bot wired to both."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp import web

from bot.app import running
from bot.config import Policy
from bot.demo import runbook_targets
from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.runbook_actions import DEFAULT_ACTIONS
from bot.store.db import Pool
from tests.conftest import FakeClock

DEPLOY_TOKEN = "deploy-token-s3cr3t"


@pytest.fixture(scope="session")
async def target_url(migrated: str) -> str:
    """A second database on the test server, holding the runbooks' tables and function."""
    name = urlsplit(migrated).path.lstrip("/") or "postgres"
    url = await runbook_targets.create_database(migrated, f"{name}_target")
    await runbook_targets.reset(url)
    return url


@dataclass
class Target:
    url: str

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def rollout(self) -> dict[str, object]:
        return await runbook_targets.rollout_row(self.url)

    async def ingestion(self) -> str:
        rows = await self.fetch("SELECT scout.control_ingestion('status') AS state")
        return str(rows[0]["state"])


@pytest.fixture
async def target(target_url: str) -> Target:
    await runbook_targets.reset(target_url, create=False)
    return Target(target_url)


@dataclass
class DeployApi:
    """A deploy API on 127.0.0.1 that records what it receives and answers as told."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 202
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def rollback(self, request: web.Request) -> web.Response:
        self.received.append(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "service": request.match_info["service"],
                "authorization": request.headers.get("Authorization"),
                "json": await request.json() if request.can_read_body else None,
            }
        )
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        return web.json_response({"rolled_back": request.match_info["service"]}, status=self.status)

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response({"service": request.match_info["service"], "version": "v2.3.0"})


@pytest.fixture
async def deploy_api() -> AsyncIterator[DeployApi]:
    api = DeployApi()
    app = web.Application()
    app.router.add_post("/services/{service}/rollback", api.rollback)
    app.router.add_get("/services/{service}", api.state)
    async with running(app) as url:
        api.url = url
        yield api
        if api.hold is not None:
            api.hold.set()


@pytest.fixture
def environ(target: Target, deploy_api: DeployApi) -> dict[str, str]:
    return {
        "ROLLOUT_DATABASE_URL": target.url,
        "SCOUT_DATABASE_URL": target.url,
        "DEPLOY_API_URL": deploy_api.url,
        "DEPLOY_API_TOKEN": DEPLOY_TOKEN,
    }


@pytest.fixture
async def bot(
    db: Pool, migrated: str, clock: FakeClock, environ: dict[str, str]
) -> AsyncIterator[Sandbox]:
    """The bot with the shipped policy, its actions pointed at the target and the deploy API."""
    async with sandbox(database_url=migrated, clock=clock, environ=environ) as running_bot:
        yield running_bot


def policy_with(
    actions: dict[str, Any] | None = None, approvals: dict[str, Any] | None = None
) -> Policy:
    """The shipped policy with extra or replaced actions and approvals, as written in the file."""
    return Policy.model_validate(
        {"approvals": approvals or {}, "actions": {**DEFAULT_ACTIONS, **(actions or {})}}
    )
