"""Approval of a destructive action: the status machine and who may approve or deny.

A request moves pending → approved → running → succeeded | failed | unknown, or ends denied or
expired. The store applies each move as a conditional UPDATE (`WHERE status = <from>`), so when
two clicks or two replicas race, exactly one move wins; only the winner of approved → running
executes. A bot that dies mid-run leaves `running`, which start-up turns into `unknown`: a human
verifies it, nothing re-runs it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.errors import IllegalTransition


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DENIED = "denied"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self not in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.RUNNING)


class ApprovalEvent(StrEnum):
    VOTE = "vote"
    """An approval that is not yet the last one needed."""
    APPROVE = "approve"
    DENY = "deny"
    EXPIRE = "expire"
    REVOKE = "revoke"
    """Checked again just before running, an approver is no longer allowed."""
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"
    LOSE = "lose"
    """The process running it died: the outcome is unknown."""


_S, _E = ApprovalStatus, ApprovalEvent
TRANSITIONS: dict[tuple[ApprovalStatus, ApprovalEvent], ApprovalStatus] = {
    (_S.PENDING, _E.VOTE): _S.PENDING,
    (_S.PENDING, _E.APPROVE): _S.APPROVED,
    (_S.PENDING, _E.DENY): _S.DENIED,
    (_S.PENDING, _E.EXPIRE): _S.EXPIRED,
    (_S.APPROVED, _E.EXPIRE): _S.EXPIRED,
    (_S.APPROVED, _E.REVOKE): _S.DENIED,
    (_S.APPROVED, _E.START): _S.RUNNING,
    (_S.RUNNING, _E.SUCCEED): _S.SUCCEEDED,
    (_S.RUNNING, _E.FAIL): _S.FAILED,
    (_S.RUNNING, _E.LOSE): _S.UNKNOWN,
}


def apply(current: ApprovalStatus, event: ApprovalEvent) -> ApprovalStatus:
    """The status after `event`; IllegalTransition when the request cannot move that way."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(f"A {current} request cannot {event}.") from None


class Refusal(StrEnum):
    """Why a click did nothing; SELF and NOT_APPROVER are stamped in the timeline."""

    SELF = "self"
    NOT_APPROVER = "not_approver"
    ALREADY_VOTED = "already_voted"
    CLOSED = "closed"
    EXPIRED = "expired"
    WRONG_CARD = "wrong_card"
    INCOMPLETE = "checklist_incomplete"
    """Approve waits until every item of the checklists the action requires is ticked."""

    @property
    def is_stamped(self) -> bool:
        return self in (Refusal.SELF, Refusal.NOT_APPROVER)


@dataclass(frozen=True)
class Rule:
    """Who may approve one request, fixed when it is made so every replica judges alike.

    `approvers` are user ids and user-group ids; empty means any member of the incident
    channel. Either way the requester needs `self_approval` to approve their own request.
    """

    approvers: tuple[str, ...] = ()
    required: int = 1
    self_approval: bool = False

    @property
    def is_any_member(self) -> bool:
        return not self.approvers


@dataclass(frozen=True)
class Outcome:
    """What running an action did, as the card, the thread reply and the timeline report it."""

    status: ApprovalStatus
    summary: str
    duration_ms: float
    dry_run: bool = False
    details: tuple[str, ...] = ()
    verify: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "summary": self.summary,
            "duration_ms": round(self.duration_ms, 1),
            "dry_run": self.dry_run,
            "details": list(self.details),
            "verify": None if self.verify is None else list(self.verify),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Outcome":
        verify = data.get("verify")
        return cls(
            status=ApprovalStatus(data["status"]),
            summary=str(data["summary"]),
            duration_ms=float(data["duration_ms"]),
            dry_run=bool(data.get("dry_run")),
            details=tuple(data.get("details") or ()),
            verify=None if verify is None else tuple(verify),
        )


@dataclass(frozen=True)
class ApprovalRequest:
    """One request to run an action with fixed params, and where it stands."""

    id: int
    incident_id: int
    channel_id: str
    message_ts: str | None
    action: str
    params: dict[str, str | None]
    dry_run: bool
    preview: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    rule: Rule
    status: ApprovalStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    votes: tuple[str, ...] = field(default=())

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Verdict:
    """What a click does: an event to apply, or a refusal to explain (an expired request gets both)."""

    event: ApprovalEvent | None = None
    refusal: Refusal | None = None


def judge_approval(
    request: ApprovalRequest, voter: str, allowed: frozenset[str], now: datetime
) -> Verdict:
    """Judge an Approve click against the request as it stands (row locked) and who is allowed now.

    Earlier votes count only while their voters are still allowed, so the last approval needed
    is checked against everyone's current standing.
    """
    if request.status is not ApprovalStatus.PENDING:
        return Verdict(refusal=Refusal.CLOSED)
    if request.is_expired(now):
        return Verdict(ApprovalEvent.EXPIRE, Refusal.EXPIRED)
    rule = request.rule
    if voter == request.requested_by and not rule.self_approval:
        return Verdict(refusal=Refusal.SELF)
    if voter not in allowed:
        return Verdict(refusal=Refusal.NOT_APPROVER)
    if voter in request.votes:
        return Verdict(refusal=Refusal.ALREADY_VOTED)
    counted = counted_votes(request, allowed) | {voter}
    return Verdict(ApprovalEvent.APPROVE if len(counted) >= rule.required else ApprovalEvent.VOTE)


def judge_denial(
    request: ApprovalRequest, denier: str, allowed: frozenset[str], now: datetime
) -> Verdict:
    """Judge a Deny click: an approver may deny, and the requester may withdraw their own."""
    if request.status is not ApprovalStatus.PENDING:
        return Verdict(refusal=Refusal.CLOSED)
    if request.is_expired(now):
        return Verdict(ApprovalEvent.EXPIRE, Refusal.EXPIRED)
    if denier != request.requested_by and denier not in allowed:
        return Verdict(refusal=Refusal.NOT_APPROVER)
    return Verdict(ApprovalEvent.DENY)


def judge_start(request: ApprovalRequest, allowed: frozenset[str], now: datetime) -> ApprovalEvent:
    """The last check before running, failing closed: START only if nothing has changed."""
    if request.status is not ApprovalStatus.APPROVED:
        raise IllegalTransition(f"A {request.status} request cannot start.")
    if request.is_expired(now):
        return ApprovalEvent.EXPIRE
    if len(counted_votes(request, allowed)) < request.rule.required:
        return ApprovalEvent.REVOKE
    return ApprovalEvent.START


def counted_votes(request: ApprovalRequest, allowed: frozenset[str]) -> frozenset[str]:
    """The votes that still count: voters allowed now, the requester only when self-approval is on."""
    return frozenset(
        v
        for v in request.votes
        if v in allowed and (v != request.requested_by or request.rule.self_approval)
    )
