"""The runbooks' target systems in miniature, for the demo, the tests and the benchmark.

Runbook 000's `rollout_configuration` (the kill switch's table) and runbook 002's
`scout.control_ingestion(command)` (pause / resume / status), created in a database of their
own next to the bot's, so the shipped actions have something real to act on.
"""

import contextlib
import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg

FEATURE = "hybrid_progressive_capture"

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollout_configuration (
    id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feature_name       text NOT NULL UNIQUE,
    rollout_percentage integer NOT NULL CHECK (rollout_percentage BETWEEN 0 AND 100),
    emergency_stop     boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE SCHEMA IF NOT EXISTS scout;
CREATE TABLE IF NOT EXISTS scout.ingestion_control (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    paused     boolean NOT NULL DEFAULT false,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION scout.control_ingestion(command text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF command = 'pause' THEN
        UPDATE scout.ingestion_control SET paused = true, changed_at = now();
    ELSIF command = 'resume' THEN
        UPDATE scout.ingestion_control SET paused = false, changed_at = now();
    ELSIF command <> 'status' THEN
        RAISE EXCEPTION 'unknown ingestion command: %', command;
    END IF;
    RETURN (SELECT CASE WHEN paused THEN 'paused' ELSE 'running' END FROM scout.ingestion_control);
END $$;
"""


def with_database(url: str, name: str) -> str:
    """The same server's URL for another database (`postgresql://u@/bot?host=…` → `/name`)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` unless it exists; return its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"{name!r} is not a plain database name")
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def reset(url: str, *, create: bool = True) -> None:
    """One feature at 25 %, ingestion running; `create` makes the tables and function first."""
    conn = await asyncpg.connect(url)
    try:
        if create:
            await conn.execute(SCHEMA)
        async with conn.transaction():
            await conn.execute("TRUNCATE rollout_configuration")
            await conn.execute(
                "INSERT INTO rollout_configuration (feature_name, rollout_percentage) VALUES ($1, 25)",
                FEATURE,
            )
            await conn.execute(
                """INSERT INTO scout.ingestion_control (paused) VALUES (false)
                   ON CONFLICT (only_row) DO UPDATE SET paused = false"""
            )
    finally:
        await conn.close()


async def rollout_row(url: str, feature: str = FEATURE) -> dict[str, object]:
    """The feature's row as the runbook's status check shows it."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            """SELECT feature_name, rollout_percentage, emergency_stop FROM rollout_configuration
               WHERE feature_name = $1""",
            feature,
        )
    finally:
        await conn.close()
    return dict(row) if row else {}
