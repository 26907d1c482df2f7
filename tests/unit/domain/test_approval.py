from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.approval import (
    TRANSITIONS,
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStatus,
    Refusal,
    Rule,
    Verdict,
    apply,
    judge_approval,
    judge_denial,
    judge_start,
)
from bot.errors import IllegalTransition

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
MEMBERS = frozenset({"UALICE", "UBOB", "UCAROL"})
S, E = ApprovalStatus, ApprovalEvent


def pending(**changes: object) -> ApprovalRequest:
    request = ApprovalRequest(
        id=1,
        incident_id=1,
        channel_id="C1",
        message_ts="1.0",
        action="kill",
        params={"feature": "f"},
        dry_run=False,
        preview="UPDATE …",
        requested_by="UALICE",
        requested_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        rule=Rule(),
        status=S.PENDING,
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def test_the_happy_path_runs_through_the_table() -> None:
    status = S.PENDING
    for event in (E.APPROVE, E.START, E.SUCCEED):
        status = apply(status, event)
    assert status is S.SUCCEEDED


@pytest.mark.parametrize("final", [s for s in S if s.is_final])
def test_nothing_moves_a_finished_request(final: ApprovalStatus) -> None:
    for event in E:
        with pytest.raises(IllegalTransition):
            apply(final, event)


def test_only_an_approved_request_can_start_running() -> None:
    assert [current for (current, event) in TRANSITIONS if event is E.START] == [S.APPROVED]


def test_a_running_request_can_only_end() -> None:
    assert {TRANSITIONS[(S.RUNNING, e)] for e in E if (S.RUNNING, e) in TRANSITIONS} == {
        S.SUCCEEDED,
        S.FAILED,
        S.UNKNOWN,
    }


def test_someone_else_in_the_channel_approves() -> None:
    assert judge_approval(pending(), "UBOB", MEMBERS, NOW) == Verdict(E.APPROVE)


def test_the_requester_is_refused_unless_the_rule_allows_self_approval() -> None:
    assert judge_approval(pending(), "UALICE", MEMBERS, NOW) == Verdict(refusal=Refusal.SELF)
    allowed = pending(rule=Rule(self_approval=True))
    assert judge_approval(allowed, "UALICE", MEMBERS, NOW) == Verdict(E.APPROVE)


def test_a_stranger_is_refused() -> None:
    verdict = judge_approval(pending(), "UDAVE", MEMBERS, NOW)
    assert verdict == Verdict(refusal=Refusal.NOT_APPROVER)
    assert verdict.refusal is not None
    assert verdict.refusal.is_stamped


def test_two_approvals_needed_the_first_is_a_vote_the_second_approves() -> None:
    request = pending(rule=Rule(required=2))
    assert judge_approval(request, "UBOB", MEMBERS, NOW) == Verdict(E.VOTE)
    voted = replace(request, votes=("UBOB",))
    assert judge_approval(voted, "UBOB", MEMBERS, NOW) == Verdict(refusal=Refusal.ALREADY_VOTED)
    assert judge_approval(voted, "UCAROL", MEMBERS, NOW) == Verdict(E.APPROVE)


def test_an_earlier_vote_stops_counting_when_its_voter_is_no_longer_allowed() -> None:
    voted = pending(rule=Rule(required=2), votes=("UBOB",))
    assert judge_approval(voted, "UCAROL", MEMBERS - {"UBOB"}, NOW) == Verdict(E.VOTE)


def test_a_click_at_the_expiry_time_expires_the_request() -> None:
    at_expiry = NOW + timedelta(minutes=15)
    assert judge_approval(pending(), "UBOB", MEMBERS, at_expiry) == Verdict(
        E.EXPIRE, Refusal.EXPIRED
    )
    assert judge_denial(pending(), "UBOB", MEMBERS, at_expiry) == Verdict(E.EXPIRE, Refusal.EXPIRED)


def test_a_closed_request_refuses_every_click() -> None:
    denied = pending(status=S.DENIED)
    assert judge_approval(denied, "UBOB", MEMBERS, NOW) == Verdict(refusal=Refusal.CLOSED)
    assert judge_denial(denied, "UBOB", MEMBERS, NOW) == Verdict(refusal=Refusal.CLOSED)


def test_approvers_and_the_requester_may_deny_strangers_may_not() -> None:
    assert judge_denial(pending(), "UBOB", MEMBERS, NOW) == Verdict(E.DENY)
    assert judge_denial(pending(), "UALICE", frozenset(), NOW) == Verdict(E.DENY)
    assert judge_denial(pending(), "UDAVE", MEMBERS, NOW) == Verdict(refusal=Refusal.NOT_APPROVER)


def test_the_check_before_running_fails_closed() -> None:
    approved = pending(status=S.APPROVED, votes=("UBOB",))
    assert judge_start(approved, MEMBERS, NOW) is E.START
    assert judge_start(approved, MEMBERS, NOW + timedelta(hours=1)) is E.EXPIRE
    assert judge_start(approved, MEMBERS - {"UBOB"}, NOW) is E.REVOKE
    with pytest.raises(IllegalTransition):
        judge_start(pending(), MEMBERS, NOW)
