"""Display names, through a cache in PostgreSQL that every replica shares.

A name is looked up with users.info only when the cache has none younger than a day, so a
post-mortem of a long incident costs one call per person at most, and the workspace is never
listed. A person Slack cannot describe is shown by their id rather than failing the document.
"""

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

import structlog

from bot.slack.gateway import SlackError, SlackGateway
from bot.store import display_names
from bot.store.db import Pool

log = structlog.get_logger(__name__)

KEEP_NAMES_FOR = timedelta(days=1)
LOOKUPS_AT_ONCE = 8


async def names_of(
    pool: Pool, slack: SlackGateway, user_ids: Iterable[str], now: datetime
) -> dict[str, str]:
    """`{user_id: display name}` for every id given; an id stands in when Slack can't say."""
    wanted = set(user_ids)
    async with pool.acquire() as conn:
        known = await display_names.fresh(conn, wanted, now - KEEP_NAMES_FOR)
    missing = sorted(wanted - known.keys())
    if not missing:
        return known
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def look_up(user_id: str) -> str | None:
        async with gate:
            try:
                return await slack.display_name(user_id)
            except SlackError as error:
                log.info("display_name_unavailable", user=user_id, error=error.error)
                return None

    found = dict(zip(missing, await asyncio.gather(*map(look_up, missing)), strict=True))
    fetched = {user_id: name for user_id, name in found.items() if name is not None}
    async with pool.acquire() as conn:
        await display_names.remember(conn, fetched, now)
    return {**{user_id: user_id for user_id in missing}, **known, **fetched}
