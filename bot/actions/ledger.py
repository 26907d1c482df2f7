"""Writing an approval's steps: each status move and its timeline stamp, in the caller's transaction.

Every step lands in `timeline_entries` as `action_requested`, `action_approved`,
`action_denied`, `action_refused`, `action_executed` / `action_failed`, `action_expired` or
`action_unknown`, with data {action, params, by, result, dry_run} — runbook 001's "decisions
timestamped".
"""

from datetime import datetime

from bot.domain.approval import ApprovalEvent, ApprovalRequest, ApprovalStatus, Verdict, apply
from bot.domain.timeline import Kind
from bot.store import approvals, timeline
from bot.store.db import Connection
from bot.store.timeline import Entry

STAMPS = {
    ApprovalEvent.VOTE: Kind.ACTION_APPROVED,
    ApprovalEvent.APPROVE: Kind.ACTION_APPROVED,
    ApprovalEvent.DENY: Kind.ACTION_DENIED,
    ApprovalEvent.EXPIRE: Kind.ACTION_EXPIRED,
    ApprovalEvent.REVOKE: Kind.ACTION_DENIED,
}
RESULT_STAMPS = {
    ApprovalStatus.SUCCEEDED: Kind.ACTION_EXECUTED,
    ApprovalStatus.FAILED: Kind.ACTION_FAILED,
    ApprovalStatus.UNKNOWN: Kind.ACTION_UNKNOWN,
}


async def record(
    conn: Connection, current: ApprovalRequest, verdict: Verdict, user: str, now: datetime
) -> ApprovalRequest | None:
    """Apply a click's verdict to the locked row: stamp refusals, add the vote, move the status.

    Returns the request as moved, or None when the click changes nothing.
    """
    if verdict.refusal is not None and verdict.refusal.is_stamped:
        await stamp(conn, current, Kind.ACTION_REFUSED, user, now, reason=verdict.refusal.value)
    if verdict.event is None:
        return None
    if verdict.event in (ApprovalEvent.VOTE, ApprovalEvent.APPROVE):
        await approvals.add_vote(conn, current.id, user, now)
    by = None if verdict.event is ApprovalEvent.EXPIRE else user
    target = apply(current.status, verdict.event)
    changed = await approvals.move(conn, current.id, current.status, target, at=now, by=by)
    if changed is not None:
        await stamp(conn, changed, STAMPS[verdict.event], by, now)
    return changed


async def stamp(
    conn: Connection,
    request: ApprovalRequest,
    kind: Kind,
    by: str | None,
    now: datetime,
    *,
    result: object = None,
    **extra: object,
) -> None:
    """One timeline entry: {action, params, by, result, dry_run} and what else the step knows."""
    data = {
        "request_id": request.id,
        "action": request.action,
        "params": request.params,
        "by": by,
        "result": result,
        "dry_run": request.dry_run,
        "status": request.status.value,
        "approvals": len(request.votes),
        "required": request.rule.required,
        **extra,
    }
    body = f"{kind.step}: {request.action}"
    await timeline.append(conn, request.incident_id, Entry(now, kind, by, body, data=data))
