"""The `approval_requests` and `approval_votes` tables.

Every change of status is a conditional UPDATE from the status the caller saw: it returns the
row when it won and None when another click, job or replica moved the request first. While an
action runs, the replica running it holds a session advisory lock on the request; PostgreSQL
drops that lock when the replica's connection dies, which is how start-up tells a request
abandoned mid-run from one a live replica is still running.
"""

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from functools import partial

import asyncpg

from bot.domain.approval import ApprovalRequest, ApprovalStatus, Outcome, Rule
from bot.store.db import Connection, session_state

_LOCK_SPACE = 0x0A99_0004
"""First key of the two-key advisory locks held while requests run (the second is the id)."""

_COLUMNS = """id, incident_id, channel_id, message_ts, action, params, dry_run, preview,
    requested_by, requested_at, expires_at, approvers, approvals_required, self_approval, status,
    decided_by, decided_at, started_at, finished_at, outcome,
    ARRAY(SELECT v.user_id FROM approval_votes v WHERE v.request_id = approval_requests.id
          ORDER BY v.voted_at, v.user_id) AS votes"""

_DECISIONS = (ApprovalStatus.APPROVED, ApprovalStatus.DENIED, ApprovalStatus.EXPIRED)


def _request(row: asyncpg.Record | None) -> ApprovalRequest:
    if row is None:
        raise LookupError("approval request row vanished")
    values = dict(row)
    rule = Rule(
        approvers=tuple(values.pop("approvers")),
        required=values.pop("approvals_required"),
        self_approval=values.pop("self_approval"),
    )
    status = ApprovalStatus(values.pop("status"))
    outcome = values.pop("outcome")
    votes = tuple(values.pop("votes"))
    return ApprovalRequest(
        **values,
        rule=rule,
        status=status,
        outcome=Outcome.from_json(outcome) if outcome else None,
        votes=votes,
    )


async def insert(
    conn: Connection,
    *,
    incident_id: int,
    channel_id: str,
    action: str,
    params: dict[str, str | None],
    dry_run: bool,
    preview: str,
    requested_by: str,
    requested_at: datetime,
    expires_at: datetime,
    rule: Rule,
) -> ApprovalRequest:
    row = await conn.fetchrow(
        f"""INSERT INTO approval_requests (incident_id, channel_id, action, params, dry_run,
                preview, requested_by, requested_at, expires_at, approvers, approvals_required,
                self_approval)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {_COLUMNS}""",
        incident_id,
        channel_id,
        action,
        params,
        dry_run,
        preview,
        requested_by,
        requested_at,
        expires_at,
        list(rule.approvers),
        rule.required,
        rule.self_approval,
    )
    return _request(row)


async def get(
    conn: Connection, request_id: int, *, for_update: bool = False
) -> ApprovalRequest | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM approval_requests WHERE id = $1{lock}", request_id
    )
    return _request(row) if row else None


async def pending_of_incident(conn: Connection, incident_id: int) -> list[ApprovalRequest]:
    """An incident's requests still waiting for approval, oldest first (their cards show the
    progress of the checklists they require)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM approval_requests
            WHERE incident_id = $1 AND status = 'pending' ORDER BY id""",
        incident_id,
    )
    return [_request(row) for row in rows]


async def set_message_ts(conn: Connection, request_id: int, ts: str) -> ApprovalRequest | None:
    """Keep the card's ts; returns the request as it stands now, its row held until the
    transaction ends (a status move waits for this, or this waits for the move).

    Read again after the UPDATE: its RETURNING would see the votes as of before any wait.
    """
    await conn.execute("UPDATE approval_requests SET message_ts = $2 WHERE id = $1", request_id, ts)
    return await get(conn, request_id)


async def add_vote(conn: Connection, request_id: int, user_id: str, at: datetime) -> bool:
    """Record an approval; False if this person had approved already."""
    added = await conn.fetchval(
        """INSERT INTO approval_votes (request_id, user_id, voted_at) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        request_id,
        user_id,
        at,
    )
    return bool(added)


async def move(
    conn: Connection,
    request_id: int,
    current: ApprovalStatus,
    target: ApprovalStatus,
    *,
    at: datetime,
    by: str | None = None,
) -> ApprovalRequest | None:
    """Move the request from `current` to `target` unless someone moved it first."""
    decided = target in _DECISIONS
    row = await conn.fetchrow(
        f"""UPDATE approval_requests
            SET status = $3,
                decided_by = CASE WHEN $5 THEN $6 ELSE decided_by END,
                decided_at = CASE WHEN $5 THEN $4 ELSE decided_at END,
                started_at = CASE WHEN $3 = 'running' THEN $4 ELSE started_at END
            WHERE id = $1 AND status = $2 RETURNING {_COLUMNS}""",
        request_id,
        current.value,
        target.value,
        at,
        decided,
        by,
    )
    return _request(row) if row else None


async def finish(
    conn: Connection, request_id: int, outcome: Outcome, *, at: datetime
) -> ApprovalRequest | None:
    """Record how a running request ended (succeeded, failed or unknown)."""
    row = await conn.fetchrow(
        f"""UPDATE approval_requests SET status = $2, outcome = $3, finished_at = $4
            WHERE id = $1 AND status = 'running' RETURNING {_COLUMNS}""",
        request_id,
        outcome.status.value,
        outcome.as_json(),
        at,
    )
    return _request(row) if row else None


def held(conn: Connection, request_id: int) -> AbstractAsyncContextManager[None]:
    """Mark this connection as the one running the request, until the block ends or it dies."""
    key = (_LOCK_SPACE, request_id % 2147483648)
    return session_state(
        conn,
        partial(conn.execute, "SELECT pg_advisory_lock($1::int, $2::int)", *key),
        partial(conn.execute, "SELECT pg_advisory_unlock($1::int, $2::int)", *key),
    )


async def abandon_orphans(
    conn: Connection, outcome: Outcome, *, at: datetime
) -> list[ApprovalRequest]:
    """Mark `unknown` every request left running by a replica that died while running it.

    A request whose lock a live replica holds is skipped: it is still running there.
    """
    rows = await conn.fetch(
        f"""UPDATE approval_requests SET status = 'unknown', outcome = $2, finished_at = $3
            WHERE status = 'running'
              AND pg_try_advisory_xact_lock($1::int, (id % 2147483648)::int)
            RETURNING {_COLUMNS}""",
        _LOCK_SPACE,
        outcome.as_json(),
        at,
    )
    return [_request(r) for r in rows]
