"""Writing an approval's steps: each status move and its timeline stamp, in the caller's transaction.

Every step lands in `timeline_entries` as `action_requested`, `action_approved`,
`action_denied`, `action_refused`, `action_executed` / `action_failed`, `action_expired` or
`action_unknown`, with data {action, params, by, result, dry_run} — runbook 001's "decisions
timestamped". A public statement's steps are stamped under its own kinds (`STATEMENT_STAMPS`):
it is approved like an action but publishes words, and must read so everywhere (the timeline,
the post-mortem's Communication section, never its actions or the measures of the response).
"""

from datetime import datetime

from bot.domain.approval import ApprovalEvent, ApprovalRequest, ApprovalStatus, Verdict, apply
from bot.domain.statements import PUBLICATION
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
STATEMENT_STAMPS = {
    Kind.ACTION_REQUESTED: Kind.STATEMENT_REQUESTED,
    Kind.ACTION_APPROVED: Kind.STATEMENT_VOTE,
    Kind.ACTION_REFUSED: Kind.STATEMENT_APPROVAL_REFUSED,
    Kind.ACTION_DENIED: Kind.STATEMENT_DENIED,
    Kind.ACTION_EXPIRED: Kind.STATEMENT_EXPIRED,
}
"""A statement's step for an action's. The approval that completes it and its result are not
here: the publisher stamps `statement_approved` with the statement's row in the same
transaction, and the page's answer later (`statement_published` or `statement_refused`)."""


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
    """One timeline entry: {action, params, by, result, dry_run} and what else the step knows;
    a statement's step under its own kind, with its words (`body`), or none (`STATEMENT_STAMPS`)."""
    if request.action == PUBLICATION:
        as_statement = _statement_kind(kind, request)
        if as_statement is None:
            return
        kind, extra = as_statement, {"body": request.preview, **extra}
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
    body = f"{kind.step}: {request.action}" if kind.step else request.preview
    await timeline.append(conn, request.incident_id, Entry(now, kind, by, body, data=data))


def _statement_kind(kind: Kind, request: ApprovalRequest) -> Kind | None:
    """The kind a statement's step is stamped under; None for the approval that completes it
    and for its result, which the publisher stamps (`STATEMENT_STAMPS`)."""
    if kind is Kind.ACTION_APPROVED and request.status is not ApprovalStatus.PENDING:
        return None
    return STATEMENT_STAMPS.get(kind)
