"""The status page's messages that carry a button: the offer under a resolution notice."""

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject

from bot.slack.messages import SlackMessage, build_message

RESOLVE_PUBLICLY = "statuspage.resolve"
"""The button's action_id: ask for the `resolved` statement, as `/incident statuspage resolved`."""


def resolve_offer(text: str) -> SlackMessage:
    """The offer (`text`, rendered from its template) with its "Resolve on the status page"."""
    message = build_message(text)
    button = ButtonElement(
        text=PlainTextObject(text="Resolve on the status page"),
        action_id=RESOLVE_PUBLICLY,
        value="resolved",
        style="primary",
    )
    return SlackMessage(message.text, [*message.blocks, ActionsBlock(elements=[button])])
