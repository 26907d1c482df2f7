"""The systems half of `incident-bot doctor`: the bot's own PostgreSQL and each action's target.

A SQL target answers when it accepts a connection and `SELECT 1`. An HTTP target answers when
the origin of its URL (`scheme://host:port/`, with `${ENV}` filled in) answers a HEAD with any
status: the action's own endpoint needs params and must not be set off by a check, and the
question is whether the host is there, not what it allows. Nothing is sent with secrets.
"""

import asyncio
import subprocess
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from pydantic import SecretStr

from bot.config import Action, Policy, Settings
from bot.doctor.checks import Check, failed, masked, passed, where
from bot.domain import placeholders
from bot.store.db import embedded_database_url

TIMEOUT = 5.0
"""Seconds a target has to answer before it counts as unreachable."""

Secrets = Mapping[str, SecretStr]


async def select_one(dsn: SecretStr) -> str | None:
    """None when the database at `dsn` answers `SELECT 1`, else why not (secrets blanked)."""
    try:
        conn = await asyncpg.connect(dsn.get_secret_value(), timeout=TIMEOUT)
        try:
            await conn.fetchval("SELECT 1", timeout=TIMEOUT)
        finally:
            await conn.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return masked(str(error) or type(error).__name__, dsn)
    return None


async def check_bot_database(settings: Settings) -> Check:
    """The bot's own PostgreSQL: `DATABASE_URL`, or the embedded server in `DATA_DIR`."""
    if settings.database_url is None:
        return await _embedded(settings.data_dir)
    dsn = settings.database_url
    problem = await select_one(dsn)
    if problem is not None:
        return failed(
            f"PostgreSQL (DATABASE_URL, {where(dsn)}) does not answer: {problem}",
            "check DATABASE_URL and that the server accepts connections from here,"
            " or unset it to use the embedded server",
        )
    return passed(f"PostgreSQL (DATABASE_URL, {where(dsn)}) answers SELECT 1")


async def _embedded(data_dir: Path) -> Check:
    folder = data_dir / "pgdata"
    try:
        url = SecretStr(await asyncio.to_thread(embedded_database_url, data_dir))
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        return failed(
            f"the embedded PostgreSQL in {folder} does not start: {error}",
            "check that DATA_DIR is writable, or set DATABASE_URL",
        )
    problem = await select_one(url)
    if problem is not None:
        return failed(
            f"the embedded PostgreSQL in {folder} does not answer: {problem}",
            f"see the server log in {folder}, or set DATABASE_URL",
        )
    return passed(f"PostgreSQL (embedded, in {folder}) answers SELECT 1")


async def check_targets(
    policy: Policy, secrets: Secrets, session: aiohttp.ClientSession
) -> list[Check]:
    """One line per database the actions use, one per http action."""
    checks = []
    for name, database in policy.databases.items():
        users = [a for a, action in policy.actions.items() if action.database == name]
        if users:
            checks.append(await _database(name, database.dsn_env, users, secrets))
    for name, action in policy.actions.items():
        if action.kind == "http":
            checks.append(await _http(name, action, secrets, session))
    return checks


async def _database(name: str, env: str, users: list[str], secrets: Secrets) -> Check:
    label = f"database {name} (actions {', '.join(users)})"
    dsn = secrets.get(env)
    if dsn is None:
        return failed(f"{label}: {env} is not set", f"set {env} to the database's DSN")
    problem = await select_one(dsn)
    if problem is not None:
        return failed(
            f"{label} at {where(dsn)} does not answer: {problem}",
            f"check {env} and that the database accepts connections from here",
        )
    return passed(f"{label} answers SELECT 1 at {where(dsn)}")


async def _http(
    name: str, action: Action, secrets: Secrets, session: aiohttp.ClientSession
) -> Check:
    label = f"action {name}"
    missing = sorted(action.env_names() - set(secrets))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        names = ", ".join(missing)
        return failed(f"{label}: {names} {verb} not set", f"set {names} in the environment or .env")
    url = placeholders.fill(
        action.url or "", {}, lambda env: secrets[env].get_secret_value(), for_url=True
    )
    envs = ", ".join(sorted(placeholders.env_names(action.url or ""))) or "its url"
    origin = _origin(url)
    if origin is None:
        return failed(f"{label}: its url is not an http(s) address", f"check {envs}")
    host = origin.split("://", 1)[1]
    try:
        async with session.head(
            origin + "/", allow_redirects=False, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
        ) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return failed(
            f"{label}: {host} does not answer ({type(error).__name__})",
            f"check {envs} and that {host} is reachable from here",
        )
    return passed(f"{label}: {host} answers (HEAD / → HTTP {status})")


def _origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, without user or password; None if not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
