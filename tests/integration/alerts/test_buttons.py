"""The suggested action one click away, and alert text that stays text."""

import json

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Message
from tests.integration.alerts.sending import (
    alertmanager,
    am_alert,
    incident_channel,
    send,
    settled,
)
from tests.integration.helpers import message_in, texts


def request_buttons(message: Message) -> list[dict[str, object]]:
    return [
        element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if str(element["action_id"]).startswith("alert.request_action")
    ]


def mrkdwn_texts(node: object) -> list[str]:
    """Every mrkdwn text in blocks (plain_text, as in headers, is never parsed by Slack)."""
    if isinstance(node, list):
        return [text for item in node for text in mrkdwn_texts(item)]
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [str(node["text"])]
        return [text for value in node.values() for text in mrkdwn_texts(value)]
    return []


async def first_message(bot: Sandbox) -> tuple[str, Message]:
    channel = await incident_channel(bot)
    return channel.id, next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)


async def test_a_suggested_action_is_a_button_with_params_from_the_labels(bot: Sandbox) -> None:
    await send(
        bot,
        "alertmanager",
        alertmanager(am_alert(labels={"service": "api", "version": "two words", "pod": "x"})),
    )
    _, message = await first_message(bot)
    (button,) = request_buttons(message)
    assert button["text"] == {"type": "plain_text", "text": "Request rollback", "emoji": True}
    assert json.loads(str(button["value"])) == {"action": "rollback", "args": {"service": "api"}}


async def test_an_alert_whose_route_suggests_nothing_has_no_request_button(bot: Sandbox) -> None:
    await send(
        bot,
        "alertmanager",
        alertmanager(am_alert(severity="warning", labels={"service": "payments"})),
    )
    _, message = await first_message(bot)
    assert request_buttons(message) == []


async def test_clicking_request_opens_the_approval_flow_with_the_alerts_params(
    bot: Sandbox,
) -> None:
    """The click takes the path `/incident rollback service=api` typed in the channel takes."""
    await send(bot, "alertmanager", alertmanager(am_alert(labels={"service": "api"})))
    channel_id, message = await first_message(bot)
    await bot.sender.join("bob", channel_id)
    (button,) = request_buttons(message)

    clicked = await bot.sender.click("bob", channel_id, message.ts, str(button["action_id"]))
    assert clicked.status == 200
    card = await message_in(bot, channel_id, "Approval needed")
    assert "`rollback`" in card
    assert "service" in card
    assert "api" in card
    assert "deploy-token" not in card
    assert f"<@{bot.slack.resolve_user('bob')}>" in card


async def test_alert_text_is_shown_as_sent_never_as_a_ping_or_link(bot: Sandbox) -> None:
    hostile = "<!channel> & <@U0BOSS> <https://evil.example|click>"
    await send(
        bot,
        "alertmanager",
        alertmanager(
            am_alert(
                summary=hostile,
                labels={"service": "<!here>"},
                annotations={"summary": hostile, "description": hostile},
            )
        ),
    )
    channel_id, _ = await first_message(bot)
    await send(
        bot,
        "alertmanager",
        alertmanager(am_alert("b", summary=hostile, annotations={"summary": hostile})),
    )
    await settled(bot)
    await send(bot, "generic", {"title": hostile, "severity": "warning"})
    await settled(bot)

    posted = texts(bot.slack, channel_id) + texts(bot.slack, "incidents")
    mrkdwn = [
        text
        for c in (channel_id, "incidents")
        for m in bot.slack.messages(c)
        for text in mrkdwn_texts(m.blocks)
    ]
    for shown in posted + mrkdwn:
        assert "<!channel>" not in shown
        assert "<!here>" not in shown
        assert "<@U0BOSS>" not in shown
        assert "<https://evil.example" not in shown
    assert any("&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in text for text in mrkdwn)
