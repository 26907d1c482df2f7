from typing import Any

from bot.services.approvals import Click
from handlers.approvals import parse_click

PAYLOAD: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U0BOB"},
    "container": {"type": "message", "channel_id": "C0INC", "message_ts": "1.000100"},
    "actions": [{"action_id": "approval.approve", "value": "42"}],
    "response_url": "https://hooks.slack.test/response/x",
}


def test_a_click_on_a_card_is_parsed_into_who_where_and_which_request() -> None:
    assert parse_click(PAYLOAD) == Click(
        "U0BOB", "C0INC", "1.000100", 42, "https://hooks.slack.test/response/x"
    )


def test_a_payload_that_is_not_a_card_click_is_ignored() -> None:
    assert parse_click({**PAYLOAD, "actions": [{"value": "'; drop table x"}]}) is None
    assert parse_click({**PAYLOAD, "container": {"type": "view"}}) is None
    assert parse_click({}) is None
