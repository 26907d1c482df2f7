"""A small forward-only migrator over `migrations/NNNN_name.sql`.

Each file runs in its own transaction; the whole run holds a PostgreSQL advisory lock, so two
replicas starting at once apply each file once. A file changed after it was applied is refused.
"""

import hashlib
from dataclasses import dataclass
from functools import partial
from importlib import resources

import structlog

from bot.store.db import Connection, session_state

log = structlog.get_logger(__name__)

_LOCK_ID = 0x1C1DE7B07  # any constant shared by every replica of this bot

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(Exception):
    pass


def bundled_migrations() -> list[Migration]:
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append(Migration(int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply pending migrations; return the versions applied by this call."""
    pending = bundled_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    async with session_state(
        conn,
        partial(conn.execute, "SELECT pg_advisory_lock($1)", _LOCK_ID),
        partial(conn.execute, "SELECT pg_advisory_unlock($1)", _LOCK_ID),
    ):
        await conn.execute(_BOOKKEEPING)
        done = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        for migration in pending:
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("migration_applied", version=migration.version, name=migration.name)
            applied_now.append(migration.version)
    return applied_now
