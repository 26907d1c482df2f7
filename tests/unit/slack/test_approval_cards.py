"""The approval card's words in each state, as the people in the channel read them."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.approval import ApprovalRequest, ApprovalStatus, Outcome, Refusal, Rule
from bot.slack.approval_cards import ApprovalCards
from bot.slack.templates import Templates

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TITLE = "Emergency stop (kill switch)"
PENDING = ApprovalRequest(
    id=1,
    incident_id=1,
    channel_id="C1",
    message_ts="1.2",
    action="kill",
    params={"feature": "checkout"},
    dry_run=False,
    preview="UPDATE rollout_configuration …",
    requested_by="UBOB",
    requested_at=AT,
    expires_at=AT + timedelta(minutes=15),
    rule=Rule(),
    status=ApprovalStatus.PENDING,
)


def in_state(status: ApprovalStatus) -> ApprovalRequest:
    ran = status in (ApprovalStatus.SUCCEEDED, ApprovalStatus.FAILED, ApprovalStatus.UNKNOWN)
    return replace(
        PENDING,
        status=status,
        votes=() if status is ApprovalStatus.PENDING else ("UALICE",),
        decided_by="UALICE",
        decided_at=AT,
        outcome=Outcome(status, "UPDATE 1", 5.0) if ran else None,
    )


CARDS = ApprovalCards(Templates(UTC))


@pytest.mark.parametrize(
    ("status", "header"),
    [
        (ApprovalStatus.PENDING, ":rotating_light: *Approval needed:*"),
        (ApprovalStatus.APPROVED, ":gear: *Approved, running:*"),
        (ApprovalStatus.RUNNING, ":gear: *Approved, running:*"),
        (ApprovalStatus.SUCCEEDED, ":white_check_mark: *Succeeded:*"),
        (ApprovalStatus.FAILED, ":x: *Failed:*"),
        (ApprovalStatus.DENIED, ":no_entry: *Denied:*"),
        (ApprovalStatus.EXPIRED, ":hourglass: *Expired:*"),
        (ApprovalStatus.UNKNOWN, ":question: *Outcome unknown:*"),
    ],
)
def test_each_state_of_the_card_has_its_own_header(status: ApprovalStatus, header: str) -> None:
    text = CARDS.card(in_state(status), TITLE).text
    assert text.splitlines()[0] == f"{header} `kill` — {TITLE}"
    if status is not ApprovalStatus.PENDING:
        assert "Approval needed" not in text


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (ApprovalStatus.SUCCEEDED, "This request for `kill` has already run, and succeeded."),
        (ApprovalStatus.FAILED, "This request for `kill` has already run, and failed."),
        (ApprovalStatus.DENIED, "This request for `kill` was denied; nothing ran."),
        (ApprovalStatus.RUNNING, "This request for `kill` is already approved and running."),
    ],
)
def test_a_click_on_a_closed_request_reads_naturally(status: ApprovalStatus, said: str) -> None:
    text = CARDS.refusal(Refusal.CLOSED, in_state(status), TITLE).text
    assert text == f":no_entry_sign: {said}"


def test_the_outcome_names_the_action_and_its_title_without_nested_brackets() -> None:
    text = CARDS.outcome(in_state(ApprovalStatus.SUCCEEDED), TITLE).text
    assert text.startswith(f"`kill` — {TITLE}, requested by <@UBOB>:\n")


def test_only_a_pending_card_says_when_it_expires() -> None:
    assert "expires 09:45 UTC" in CARDS.card(PENDING, TITLE).text
    assert "expires" not in CARDS.card(in_state(ApprovalStatus.SUCCEEDED), TITLE).text
