"""The `postmortems` table: every document written, the newest one current."""

from datetime import datetime

from bot.store.db import Connection


async def insert(conn: Connection, incident_id: int, markdown: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO postmortems (incident_id, generated_at, markdown) VALUES ($1, $2, $3)",
        incident_id,
        at,
        markdown,
    )


async def newest(conn: Connection, incident_id: int) -> str | None:
    markdown: str | None = await conn.fetchval(
        """SELECT markdown FROM postmortems WHERE incident_id = $1
           ORDER BY generated_at DESC, id DESC LIMIT 1""",
        incident_id,
    )
    return markdown
