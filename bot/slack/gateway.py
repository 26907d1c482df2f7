"""The one way out to Slack's Web API.

Built on slack_sdk's `AsyncWebClient` with its retry handlers switched on: rate limits are
waited out as `Retry-After` asks (often enough that a burst of 429s loses nothing), server
errors and dropped connections are retried. Slack's answers become typed exceptions here, and
its limits (topic length) are respected before a call is made.
"""

from collections.abc import Awaitable, Iterable
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.messages import MAX_TOPIC, SlackMessage, truncate

log = structlog.get_logger(__name__)


class SlackError(Exception):
    """Slack answered `ok: false`; `error` is Slack's own code (`channel_not_found`, …)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class NameTaken(SlackError):
    """A channel of that name exists (perhaps archived, or made by hand)."""


def build_client(
    token: str, base_url: str, *, max_retries: int, session: aiohttp.ClientSession
) -> AsyncWebClient:
    """slack_sdk's client on one shared HTTP session (without it, each call opens a new one)."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=30, session=session)
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ]
    )
    for handler in client.retry_handlers:
        if isinstance(handler, AsyncConnectionErrorRetryHandler):
            handler.max_retry_count = 3
    return client


class SlackGateway:
    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession) -> None:
        self.client = client
        self._session = session
        self._workspace_url: str | None = None

    async def close(self) -> None:
        await self._session.close()

    async def respond(self, response_url: str, message: SlackMessage) -> None:
        """Answer a command or click ephemerally through its `response_url` (5 uses, 30 minutes)."""
        webhook = AsyncWebhookClient(response_url, session=self._session, timeout=10)
        response = await webhook.send(text=message.text, blocks=message.block_dicts())
        if response.status_code != 200:
            log.warning(
                "response_url_refused", status=response.status_code, body=response.body[:200]
            )

    async def respond_privately(self, response_url: str, message: SlackMessage) -> None:
        """Answer a button click with an ephemeral message, leaving the clicked message as is.

        Without `replace_original: false` Slack may replace the card the button was on.
        """
        webhook = AsyncWebhookClient(response_url, session=self._session, timeout=10)
        response = await webhook.send(
            text=message.text,
            blocks=message.block_dicts(),
            response_type="ephemeral",
            replace_original=False,
        )
        if response.status_code != 200:
            log.warning(
                "response_url_refused", status=response.status_code, body=response.body[:200]
            )

    async def _call(
        self, method: str, call: Awaitable[AsyncSlackResponse], *, done_already: str = ""
    ) -> dict[str, Any]:
        """Make one Web API call; `done_already` names the error that means "nothing to do".

        Slack out of reach (after the client's own retries) is a SlackError too, `unreachable`,
        so callers report it or do without, like any refusal.
        """
        try:
            response = await call
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("slack_unreachable", method=method, error=type(error).__name__)
            raise SlackError(method, "unreachable") from error
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown_error"))
            if code == done_already:
                return {}
            log.warning("slack_call_failed", method=method, error=code)
            if code == "name_taken":
                raise NameTaken(method, code) from None
            raise SlackError(method, code) from None
        return response.data if isinstance(response.data, dict) else {}

    async def create_channel(self, name: str, *, is_private: bool = False) -> str:
        data = await self._call(
            "conversations.create",
            self.client.conversations_create(name=name, is_private=is_private),
        )
        return str(data["channel"]["id"])

    async def invite(self, channel: str, users: Iterable[str]) -> None:
        wanted = ",".join(sorted(set(users)))
        if not wanted:
            return
        await self._call(
            "conversations.invite",
            self.client.conversations_invite(channel=channel, users=wanted),
            done_already="already_in_channel",
        )

    async def set_topic(self, channel: str, topic: str) -> None:
        await self._call(
            "conversations.setTopic",
            self.client.conversations_setTopic(channel=channel, topic=truncate(topic, MAX_TOPIC)),
        )

    async def post(
        self, channel: str, message: SlackMessage, *, thread_ts: str | None = None
    ) -> str:
        data = await self._call(
            "chat.postMessage",
            self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.block_dicts(),
                thread_ts=thread_ts,
            ),
        )
        return str(data["ts"])

    async def post_ephemeral(self, channel: str, user: str, message: SlackMessage) -> None:
        await self._call(
            "chat.postEphemeral",
            self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=message.text,
                blocks=message.block_dicts(),
            ),
        )

    async def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        """Replace a message the bot posted (chat.update), blocks and all."""
        await self._call(
            "chat.update",
            self.client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.block_dicts()
            ),
        )

    async def channel_members(self, channel: str) -> list[str]:
        """Every member of a channel, following conversations.members' pages."""
        members: list[str] = []
        cursor: str | None = None
        while True:
            data = await self._call(
                "conversations.members",
                self.client.conversations_members(channel=channel, limit=1000, cursor=cursor),
            )
            members.extend(str(m) for m in data.get("members", []))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return members

    async def usergroup_members(self, usergroup: str) -> list[str]:
        data = await self._call(
            "usergroups.users.list", self.client.usergroups_users_list(usergroup=usergroup)
        )
        return [str(u) for u in data.get("users", [])]

    async def open_view(self, trigger_id: str, view: View) -> str:
        """Open a modal for the person who clicked; `trigger_id` is valid for 3 seconds."""
        data = await self._call(
            "views.open", self.client.views_open(trigger_id=trigger_id, view=view)
        )
        return str(data["view"]["id"])

    async def pin(self, channel: str, ts: str) -> None:
        await self._call(
            "pins.add",
            self.client.pins_add(channel=channel, timestamp=ts),
            done_already="already_pinned",
        )

    async def permalink(self, channel: str, ts: str) -> str:
        data = await self._call(
            "chat.getPermalink", self.client.chat_getPermalink(channel=channel, message_ts=ts)
        )
        return str(data["permalink"])

    async def workspace_url(self) -> str | None:
        """The workspace's address (`https://acme.slack.com/`), from one auth.test per process.

        Message permalinks are derived from it when shown, instead of a chat.getPermalink call
        per message; None if Slack won't say, and the links are left out.
        """
        if self._workspace_url is None:
            try:
                data = await self._call("auth.test", self.client.auth_test())
            except SlackError:
                return None
            self._workspace_url = str(data.get("url") or "")
        return self._workspace_url or None

    async def display_name(self, user: str) -> str:
        """The name people see for `user`, from users.info (never users.list).

        Callers go through the shared cache in `bot.services.people`, which calls this only on a miss.
        """
        data = await self._call("users.info", self.client.users_info(user=user))
        info = data.get("user")
        profile = info.get("profile", {}) if isinstance(info, dict) else {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or (info.get("name") if isinstance(info, dict) else None)
        )
        return str(name or user)

    async def share_file(
        self, channel: str, filename: str, content: str, title: str, initial_comment: str
    ) -> str:
        """Upload `content` as a file shared into `channel` (files_upload_v2: get an upload URL,
        send the bytes, complete the upload); returns the file's id."""
        try:
            data = await self._call(
                "files_upload_v2",
                self.client.files_upload_v2(
                    channel=channel,
                    filename=filename,
                    content=content.encode(),
                    title=title,
                    initial_comment=initial_comment,
                ),
            )
        except SlackRequestError:
            log.warning("slack_call_failed", method="files.upload", error="upload_failed")
            raise SlackError("files.upload", "upload_failed") from None
        return str(data["files"][0]["id"])
