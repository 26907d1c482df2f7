"""The Approve and Deny buttons of an approval card (`approval.*` action ids).

Each click is acknowledged at once, then judged and acted on in the background; the answer to
the person who clicked, if any, is ephemeral. The payload is parsed into a `Click` here, so no
raw Slack JSON travels further in.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services.approvals import Click
from bot.services.container import Services
from bot.slack.approval_cards import APPROVE, DENY

log = structlog.get_logger(__name__)


def parse_click(body: dict[str, Any]) -> Click | None:
    """The click in a block_actions payload, or None if it is not one of ours."""
    try:
        action = body["actions"][0]
        return Click(
            user_id=str(body["user"]["id"]),
            channel_id=str(body["container"]["channel_id"]),
            message_ts=str(body["container"]["message_ts"]),
            request_id=int(action["value"]),
            response_url=str(body["response_url"]),
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def register(app: AsyncApp, services: Services) -> None:
    def listener(
        name: str, work: Callable[[Click], Coroutine[Any, Any, None]]
    ) -> Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]:
        async def clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            click = parse_click(body)
            if click is None:
                log.warning("malformed_approval_click", action=name)
                return
            structlog.contextvars.bind_contextvars(
                slack_request_id=body.get("trigger_id"), request_id=click.request_id
            )
            services.background.start(work(click), name=f"{name}:{click.request_id}")

        return clicked

    app.action(APPROVE)(listener(APPROVE, services.approvals.approve))
    app.action(DENY)(listener(DENY, services.approvals.deny))
