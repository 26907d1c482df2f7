"""Waiting for a wake-up, for at most so long, without losing a cancellation.

On Python 3.11, `asyncio.wait_for` returns the awaited result instead of raising when it is
cancelled in the same turn as that result arrives (bpo-42130). A loop woken often — the
dispatcher is woken by every delivery that fails or frees a full set of slots — could then miss
the cancel that shutdown sends, and go on forever: the process never exits. `asyncio.timeout`
does not lose it.
"""

import asyncio
import contextlib


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` have passed; whether it was set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()
