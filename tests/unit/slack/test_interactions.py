"""Reading Slack's interaction payloads: each button and the form into its model, or Malformed."""

import json
from typing import Any

import pytest

from bot.domain.status import Status
from bot.slack.interactions import (
    Click,
    Decision,
    DeclareFromAlert,
    Malformed,
    RequestFromAlert,
    Snooze,
    UpdateWanted,
    read_click,
    read_submission,
)

URL = "https://hooks.slack.test/response/x"
CLICK = Click("U0BOB", "C0INC", "1.000100", "T.1", URL)


def clicked(action_id: str, value: str | None = None, **changes: Any) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for one button."""
    action = {"action_id": action_id, "block_id": "reminder:7", "type": "button"}
    if value is not None:
        action["value"] = value
    body = {
        "type": "block_actions",
        "user": {"id": "U0BOB", "name": "bob"},
        "container": {"type": "message", "channel_id": "C0INC", "message_ts": "1.000100"},
        "channel": {"id": "C0INC", "name": "incident-20261124-001"},
        "trigger_id": "T.1",
        "response_url": URL,
        "actions": [action],
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    ("body", "model"),
    [
        (clicked("approval.approve", "42"), Decision(CLICK, 42, is_approval=True)),
        (clicked("approval.deny", "42"), Decision(CLICK, 42, is_approval=False)),
        (clicked("reminder.post_update"), UpdateWanted(CLICK)),
        (clicked("reminder.snooze_30", "30"), Snooze(CLICK, 30, "reminder:7")),
        (clicked("alert.declare", "9"), DeclareFromAlert(CLICK, 9)),
        (
            clicked("alert.request_action:kill", '{"action": "kill", "args": {"feature": "x"}}'),
            RequestFromAlert(CLICK, "kill", {"feature": "x"}),
        ),
    ],
)
def test_each_button_is_read_into_what_it_asks_for(body: dict[str, Any], model: object) -> None:
    assert read_click(body) == model


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (clicked("approval.approve", "'; drop table x"), "is not a number"),
        (clicked("alert.declare", ""), "is not a number"),
        (clicked("alert.request_action:kill", "{not json"), "Invalid JSON"),
        (clicked("alert.request_action:kill", '{"action": "a b"}'), "action"),
        (clicked("someone.elses_button", "1"), "not a button of this bot"),
        (clicked("approval.approve", "1", actions=[]), "actions"),
        (clicked("approval.approve", "1", user=None), "user"),
        (clicked("approval.approve", "1", container={"type": "view"}, channel=None), "channel"),
    ],
)
def test_an_unreadable_click_is_malformed_with_its_reason_and_response_url(
    body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(Malformed) as raised:
        read_click(body)
    assert reason in raised.value.reason
    assert raised.value.response_url == URL


def test_a_click_without_a_response_url_has_none_to_answer_through() -> None:
    body = clicked("approval.approve", "1")
    del body["response_url"]
    with pytest.raises(Malformed) as raised:
        read_click(body)
    assert raised.value.response_url is None


def submitted(metadata: str = '{"channel": "C0INC"}', **values: object) -> dict[str, Any]:
    state = {
        "status": {
            "status": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Mitigating"},
                    "value": "mitigating",
                },
            }
        },
        "actions_taken": {"actions_taken": {"type": "plain_text_input", "value": " Rolled back "}},
        "impact": {"impact": {"type": "plain_text_input", "value": None}},
        **values,
    }
    return {
        "type": "view_submission",
        "user": {"id": "U0BOB"},
        "view": {
            "id": "V1",
            "callback_id": "reminder.update",
            "private_metadata": metadata,
            "state": {"values": state},
        },
    }


def test_the_update_form_is_read_into_the_update_it_posts() -> None:
    form = read_submission(submitted())
    assert (form.user_id, form.channel_id, form.view_id) == ("U0BOB", "C0INC", "V1")
    assert form.problems() == {}
    command = form.command()
    assert (command.text, command.status, command.impact, command.next_steps) == (
        "Rolled back",
        Status.MITIGATING,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (submitted(metadata="not json"), "Invalid JSON"),
        (submitted(metadata=json.dumps({"chan": "C0INC"})), "channel"),
        ({**submitted(), "view": {"id": "V1"}}, "view.callback_id"),
        ({**submitted(), "user": {}}, "user.id"),
    ],
)
def test_an_unreadable_form_is_malformed_with_its_reason(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(Malformed) as raised:
        read_submission(body)
    assert reason in raised.value.reason
    assert raised.value.response_url is None
