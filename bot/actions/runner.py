"""Running an approved request exactly once, on the connection of the click that approved it.

That connection holds the request's advisory lock from before `approved → running` until the
outcome is recorded: while it is held, start-up on another replica knows the request is still
being run and leaves it alone; if this process dies, PostgreSQL drops the lock and start-up
marks the request `unknown`.

What people see of each step (the card as it stands, the outcome in its thread) is recorded by
the caller's `tell`, in the transaction of the step itself, so it is delivered whatever Slack's
state; the run never waits for Slack.
"""

from collections.abc import Awaitable, Callable

import structlog

from bot.actions.catalog import Catalog
from bot.actions.executors import Executors
from bot.actions.ledger import RESULT_STAMPS, STAMPS, stamp
from bot.domain.approval import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStatus,
    Outcome,
    apply,
    judge_start,
)
from bot.domain.clock import Clock
from bot.errors import NotFound
from bot.store import approvals
from bot.store.db import Connection

log = structlog.get_logger(__name__)

Tell = Callable[[Connection, ApprovalRequest], Awaitable[None]]
"""Record, in the transaction that moved the request, what people are to see of its new state."""


class Runner:
    def __init__(self, catalog: Catalog, executors: Executors, clock: Clock) -> None:
        self.catalog = catalog
        self.executors = executors
        self.clock = clock

    async def run(
        self, conn: Connection, request: ApprovalRequest, allowed: frozenset[str], tell: Tell
    ) -> ApprovalRequest | None:
        """Check once more, run, record; returns the request as it ended (None if moved by another).

        `tell` is called inside the transaction that starts the request and inside the one that
        records its outcome.
        """
        async with approvals.held(conn, request.id):
            started = await self._start(conn, request, allowed, tell)
            if started is None or started.status is not ApprovalStatus.RUNNING:
                return started
            outcome = await self._execute(started)
            async with conn.transaction():
                finished = await approvals.finish(conn, started.id, outcome, at=self.clock())
                if finished is not None:
                    kind = RESULT_STAMPS[outcome.status]
                    await stamp(conn, finished, kind, None, self.clock(), result=outcome.as_json())
                    await tell(conn, finished)
            log.info("action_finished", status=outcome.status.value, ms=round(outcome.duration_ms))
            return finished

    async def _start(
        self, conn: Connection, request: ApprovalRequest, allowed: frozenset[str], tell: Tell
    ) -> ApprovalRequest | None:
        """approved → running if not expired and every approver still allowed; else fail closed."""
        now = self.clock()
        async with conn.transaction():
            current = await approvals.get(conn, request.id, for_update=True)
            if current is None or current.status is not ApprovalStatus.APPROVED:
                return None
            event = judge_start(current, allowed, now)
            target = apply(current.status, event)
            moved = await approvals.move(conn, current.id, current.status, target, at=now)
            if moved is None:
                return None
            if event is not ApprovalEvent.START:
                await stamp(conn, moved, STAMPS[event], None, now, reason="checked before running")
            await tell(conn, moved)
        return moved

    async def _execute(self, request: ApprovalRequest) -> Outcome:
        """Run the plan the card showed; if the action's definition changed since, don't."""
        try:
            entry = self.catalog.get(request.action)
        except NotFound:
            return _not_run(request, "the action is no longer in the catalog")
        if not entry.is_available:
            return _not_run(request, entry.reason)
        plan = self.catalog.plan(entry, request.params)
        if plan.preview != request.preview:
            return _not_run(request, "the action's definition changed since the card was posted")
        return await self.executors.run(plan, dry_run=request.dry_run)


def _not_run(request: ApprovalRequest, why: str) -> Outcome:
    return Outcome(ApprovalStatus.FAILED, f"not run: {why}", 0.0, request.dry_run)
