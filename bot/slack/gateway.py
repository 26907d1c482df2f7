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

from bot.domain.effects import DeliveryError
from bot.slack.messages import MAX_TOPIC, SlackMessage, truncate

log = structlog.get_logger(__name__)

MARK_EVENT = "incident_bot_effect"
"""The metadata event type of the bot's posts; its payload names the outbox effect."""
RECENT = 200
"""Messages looked through to find one the bot may already have posted."""


TRANSIENT_ERRORS = frozenset(
    {
        "unreachable",
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "server_error",
    }
)
"""Slack's answers that say "not now" rather than "no": the same call may succeed later."""


class SlackError(DeliveryError):
    """Slack answered `ok: false`; `error` is Slack's own code (`channel_not_found`, …).

    `retry_after` is the pause a 429 asked for; `is_transient` tells a refusal that may pass
    (Slack unreachable, rate limited, failing) from one that will not (`channel_not_found`).
    """

    def __init__(self, method: str, error: str, *, retry_after: float | None = None) -> None:
        super().__init__(method, error, retry_after=retry_after)

    @property
    def is_transient(self) -> bool:
        return self.error in TRANSIENT_ERRORS


class NameTaken(SlackError):
    """A channel of that name exists (perhaps archived, or made by hand)."""


def build_client(
    token: str, base_url: str, *, max_retries: int, session: aiohttp.ClientSession
) -> AsyncWebClient:
    """slack_sdk's client on one shared HTTP session (without it, each call opens a new one).

    `max_retries=0` gives a client that retries nothing itself: the outbox's dispatcher, which
    retries with its own backoff and must not hold a delivery slot through Slack's outage.
    """
    client = AsyncWebClient(token=token, base_url=base_url, timeout=30, session=session)
    if max_retries == 0:
        client.retry_handlers.clear()
        return client
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


def _refusal(error: SlackApiError) -> tuple[str, float | None]:
    """Slack's error code and Retry-After; a 5xx with no JSON body is a `server_error`."""
    response = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or 200
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    try:
        code = str(response.get("error") or "") if hasattr(response, "get") else ""
    except (TypeError, ValueError):
        code = ""
    if not code:
        code = "server_error" if int(status) >= 500 else "unknown_error"
    if int(status) == 429:
        code = "ratelimited"
    return code, float(retry_after) if retry_after else None


class SlackGateway:
    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession) -> None:
        self.client = client
        self._session = session
        self._identity: dict[str, Any] | None = None

    async def close(self) -> None:
        await self._session.close()

    async def _call(
        self, method: str, call: Awaitable[AsyncSlackResponse], *, done_already: str = ""
    ) -> dict[str, Any]:
        """Make one Web API call; `done_already` names the error that means "nothing to do".

        Slack out of reach (after the client's own retries) is a SlackError too, `unreachable`,
        so callers report it or do without, like any refusal.
        """
        response = await self._respond(method, call, done_already=done_already)
        data = response.data if response is not None else None
        return data if isinstance(data, dict) else {}

    async def _respond(
        self, method: str, call: Awaitable[AsyncSlackResponse], *, done_already: str = ""
    ) -> AsyncSlackResponse | None:
        """`_call`'s whole answer, headers included; None when `done_already` was the error."""
        try:
            return await call
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as error:
            log.warning("slack_unreachable", method=method, error=type(error).__name__)
            raise SlackError(method, "unreachable") from error
        except SlackApiError as error:
            code, retry_after = _refusal(error)
            if code == done_already:
                return None
            log.warning("slack_call_failed", method=method, error=code)
            if code == "name_taken":
                raise NameTaken(method, code) from None
            raise SlackError(method, code, retry_after=retry_after) from None

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
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        mark: int | None = None,
    ) -> str:
        """Post a message; `mark` (an outbox effect's id) goes into its metadata, so a post
        whose outcome was lost in a crash can be found again (`find_marked`)."""
        data = await self._call(
            "chat.postMessage",
            self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.block_dicts(),
                thread_ts=thread_ts,
                metadata={"event_type": MARK_EVENT, "event_payload": {"effect": mark}}
                if mark is not None
                else None,
            ),
        )
        return str(data["ts"])

    async def find_marked(
        self, channel: str, mark: int, *, thread_ts: str | None = None
    ) -> str | None:
        """The ts of the bot's recent message marked with `mark` (see `post`), if Slack has it."""
        if thread_ts:
            call = self.client.conversations_replies(
                channel=channel, ts=thread_ts, limit=RECENT, include_all_metadata=True
            )
        else:
            call = self.client.conversations_history(
                channel=channel, limit=RECENT, include_all_metadata=True
            )
        data = await self._call(
            "conversations.replies" if thread_ts else "conversations.history", call
        )
        for message in data.get("messages", []):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == MARK_EVENT and payload.get("effect") == mark:
                return str(message["ts"])
        return None

    async def find_shared_file(self, channel: str, title: str, since: float) -> str | None:
        """The id of a file titled `title` shared into `channel` since `since` (epoch seconds):
        an upload whose outcome was lost in a crash is not shared twice."""
        data = await self._call(
            "conversations.history",
            self.client.conversations_history(channel=channel, limit=RECENT, oldest=str(since)),
        )
        for message in data.get("messages", []):
            for shared in message.get("files") or []:
                if shared.get("title") == title:
                    return str(shared["id"])
        return None

    async def find_channel(self, name: str) -> dict[str, Any] | None:
        """A channel (public or private, archived or not) by its name, following the pages."""
        cursor: str | None = None
        while True:
            data = await self._call(
                "conversations.list",
                self.client.conversations_list(
                    types="public_channel,private_channel", limit=1000, cursor=cursor
                ),
            )
            for channel in data.get("channels", []):
                if channel.get("name") == name:
                    return dict(channel)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None

    async def bot_user_id(self) -> str:
        """The bot's own user id, from one auth.test per process."""
        return str((await self.identity()).get("user_id") or "")

    @property
    def known_identity(self) -> dict[str, Any] | None:
        """`identity()` if it is known already (no call made)."""
        return self._identity

    async def identity(self) -> dict[str, Any]:
        """Who the bot is (auth.test: `user_id`, `bot_id`, `team_id`, `url`), asked once per
        process; raises SlackError while Slack cannot say, and asks again next time."""
        if self._identity is None:
            self._identity = await self._call("auth.test", self.client.auth_test())
        return self._identity

    async def granted_scopes(self) -> frozenset[str] | None:
        """The scopes the token really has, from the `x-oauth-scopes` header Slack puts on every
        answer (here auth.test's, which also makes `identity()` known); None if Slack omits it."""
        response = await self._respond("auth.test", self.client.auth_test())
        if response is not None and isinstance(response.data, dict):
            self._identity = response.data
        headers = dict(response.headers.items()) if response is not None else {}
        granted = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
        if granted is None:
            return None
        return frozenset(s.strip() for s in str(granted).split(",") if s.strip())

    async def send_response(
        self, response_url: str, message: SlackMessage, *, private: bool = False
    ) -> None:
        """Answer through a `response_url`, raising SlackError when it does not arrive.

        `private` leaves the clicked message as it is (`replace_original: false`)."""
        webhook = AsyncWebhookClient(response_url, session=self._session, timeout=10)
        extra: dict[str, Any] = (
            {"response_type": "ephemeral", "replace_original": False} if private else {}
        )
        try:
            response = await webhook.send(text=message.text, blocks=message.block_dicts(), **extra)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SlackError("response_url", "unreachable") from error
        if response.status_code >= 500:
            raise SlackError("response_url", "server_error")
        if response.status_code != 200:
            raise SlackError("response_url", str(response.body or response.status_code)[:100])

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
        try:
            return str((await self.identity()).get("url") or "") or None
        except SlackError:
            return None

    async def is_person(self, user: str) -> bool:
        """Whether `user` is someone who can own work: users.info knows them, and they are
        neither deactivated nor a bot. When Slack cannot say now, they are given the benefit
        of the doubt (a follow-up is not refused because Slack is slow)."""
        try:
            data = await self._call("users.info", self.client.users_info(user=user))
        except SlackError as error:
            if error.is_transient:
                log.info("person_unchecked", user=user, error=error.error)
                return True
            return False
        info = data.get("user")
        return isinstance(info, dict) and not info.get("deleted") and not info.get("is_bot")

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
        self,
        channel: str,
        filename: str,
        content: str | bytes,
        title: str,
        initial_comment: str,
    ) -> str:
        """Upload `content` (text, or the bytes of an image) as a file shared into `channel`
        (files_upload_v2: get an upload URL, send the bytes, complete the upload); returns the
        file's id."""
        try:
            data = await self._call(
                "files_upload_v2",
                self.client.files_upload_v2(
                    channel=channel,
                    filename=filename,
                    content=content.encode() if isinstance(content, str) else content,
                    title=title,
                    initial_comment=initial_comment,
                ),
            )
        except SlackRequestError:
            log.warning("slack_call_failed", method="files.upload", error="upload_failed")
            raise SlackError("files.upload", "upload_failed") from None
        return str(data["files"][0]["id"])
