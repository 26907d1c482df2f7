"""Work that runs after Slack has its ack.

Listeners answer Slack first and hand the rest to `Background.start`, which keeps a strong
reference to each task (asyncio keeps only weak ones), logs failures instead of losing them,
and lets shutdown and tests wait until every started piece of work has finished.
"""

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def start(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `work` as a task in a fresh copy of the current context (request ids included)."""
        task = asyncio.create_task(work, name=name, context=contextvars.copy_context())
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("background_work_failed", task=task.get_name(), exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Return once no started work is left running."""
        while self._tasks:
            await self._idle.wait()

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Let running work finish for up to `grace_seconds`, then cancel what is left."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
