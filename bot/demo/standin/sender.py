"""Slack's side of inbound traffic: people typing slash commands, clicking, talking.

Each method builds the exact request Slack would send the bot (field names, form vs JSON,
``payload`` wrapping, v0 signature), posts it to the bot's request URL and returns how the bot
answered, so tests drive the bot through its real HTTP entry point.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.demo.standin import ops
from bot.demo.standin.blocks import find_element, find_option
from bot.demo.standin.events import (
    VERIFICATION_TOKEN,
    DeliveryError,
    DeliveryResult,
    SlashResult,
    envelope,
    sign,
)
from bot.demo.standin.responses import show_command_ack
from bot.demo.standin.shapes import message_json
from bot.demo.standin.state import JSON, Channel, Message, User
from bot.demo.standin.webapi import SlackStandIn

FORM = "application/x-www-form-urlencoded"


class SlackSender:
    """Sends signed requests to the bot as Slack would, on behalf of the stand-in's people."""

    def __init__(self, standin: SlackStandIn, url: str | None = None) -> None:
        self.standin = standin
        self._url = url

    @property
    def url(self) -> str:
        """The bot's request URL: the one given, else the stand-in's current ``events_url``."""
        url = self._url or self.standin.events_url
        if url is None:
            raise RuntimeError("no bot URL: set standin.events_url or pass url= to SlackSender")
        return url

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The v0 signature headers Slack would send with ``body`` (now, unless ``timestamp``)."""
        return sign(self.standin.signing_secret, body, timestamp)

    async def slash(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        command: str = "/incident",
        trigger_id: str | None = None,
        bad_signature: bool = False,
        via_socket_mode: bool = False,
    ) -> SlashResult:
        """A person runs a slash command; pass an earlier ``trigger_id`` to replay a delivery."""
        person, where = self._user(user), self._channel(channel)
        response_url = self.standin.new_response_url(where.id, person.id)
        trigger = trigger_id or self.standin.new_trigger_id()
        self.standin.trigger_ids.setdefault(trigger, self.standin.now())
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.standin.team_id,
            "team_domain": self.standin.team_domain,
            "channel_id": where.id,
            "channel_name": where.name,
            "user_id": person.id,
            "user_name": person.name,
            "command": command,
            "text": text,
            "api_app_id": self.standin.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
        if via_socket_mode:
            result = await self._over_socket("slash_commands", fields)
        else:
            result = await self._send(
                f"slash:{command}",
                fields,
                urlencode(fields).encode(),
                FORM,
                bad_signature=bad_signature,
            )
        if result.status == 200 and isinstance(result.json, dict):
            show_command_ack(self.standin, where.id, person.id, result.json)
        return SlashResult(
            result.status, result.body_text, result.json, response_url, result.elapsed_ms, trigger
        )

    async def post_message(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A person posts in a channel; returns once the bot has acknowledged the event."""
        person, where = self._user(user), self._channel(channel)
        if person.id not in where.members:
            raise ValueError(f"{person.name} is not a member of #{where.name}")
        if thread_ts and self.standin.find_message(where.id, thread_ts) is None:
            raise ValueError(f"no message {thread_ts} in #{where.name} to reply to")
        with self.standin.capturing() as events:
            message = ops.post(
                self.standin,
                where,
                user=person.id,
                text=text,
                thread_ts=thread_ts,
                extra={"client_msg_id": str(uuid.uuid4())},
            )
        await self._deliver_all(events)
        return message

    async def join(self, user: str, channel: str) -> None:
        """A person joins a public channel; the bot hears it if it is a member."""
        person, where = self._user(user), self._channel(channel)
        if where.is_private:
            raise ValueError(f"#{where.name} is private: people join it by invitation")
        if person.id in where.members:
            return
        with self.standin.capturing() as events:
            ops.join(self.standin, where, person.id)
        await self._deliver_all(events)

    async def edit_message(self, user: str, channel: str, ts: str, text: str) -> Message:
        """A person edits their message: the bot gets ``message_changed`` if it is in the channel."""
        message = self._own_message(user, channel, ts)
        with self.standin.capturing() as events:
            ops.edit(self.standin, message, editor=self._user(user).id, text=text, blocks=None)
        await self._deliver_all(events)
        return message

    async def delete_message(self, user: str, channel: str, ts: str) -> None:
        """A person deletes their message: the bot gets ``message_deleted``."""
        message = self._own_message(user, channel, ts)
        with self.standin.capturing() as events:
            ops.delete(self.standin, message, by=self._user(user).id)
        await self._deliver_all(events)

    async def event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        bad_signature: bool = False,
    ) -> DeliveryResult:
        """Deliver a raw Events API event; pass the same ``event_id`` to simulate a retry."""
        payload = envelope(self.standin, {"event_ts": self.standin.next_ts(), **event}, event_id)
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        result = await self.standin.bus.send(
            self.url,
            kind=f"event:{event.get('type')}",
            payload=payload,
            body=json.dumps(payload).encode(),
            headers=headers,
            bad_signature=bad_signature,
        )
        return dataclasses.replace(result, event_id=payload["event_id"])

    async def click(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        bad_signature: bool = False,
    ) -> DeliveryResult:
        """A person clicks an element of a message (channel message or their ephemeral)."""
        person, where = self._user(user), self._channel(channel)
        message = self.standin.find_message(where.id, message_ts)
        ephemeral = next(
            (e for e in self.standin.ephemeral_log if e.ts == message_ts and e.user == person.id),
            None,
        )
        blocks = message.blocks if message else ephemeral.blocks if ephemeral else None
        if blocks is None:
            raise ValueError(f"no message {message_ts} in #{where.name} visible to {person.name}")
        found_block, element = find_element(blocks, action_id)
        action: JSON = {
            "action_id": action_id,
            "block_id": block_id or found_block,
            "value": value if value is not None else element.get("value"),
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if "text" in element:
            action["text"] = element["text"]
        payload = self._block_actions(person, where, message_ts, message, action)
        if message is not None:
            payload["message"] = message_json(self.standin, message)
        return await self._interaction("block_actions", payload, bad_signature)

    def _block_actions(
        self, person: User, where: Channel, message_ts: str, message: Message | None, action: JSON
    ) -> JSON:
        """A `block_actions` payload as Slack sends it for a click on a message (an ephemeral
        one when `message` is None); the caller adds the message and the state it carries."""
        return {
            "type": "block_actions",
            "user": self._user_ref(person),
            "api_app_id": self.standin.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": where.id,
                "is_ephemeral": message is None,
            },
            "trigger_id": self.standin.new_trigger_id(),
            "team": {"id": self.standin.team_id, "domain": self.standin.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": where.id, "name": where.name},
            "state": {"values": {}},
            "response_url": self.standin.new_response_url(
                where.id, person.id, message_ts=message_ts if message else None
            ),
            "actions": [action],
        }

    async def tick(
        self,
        user: str,
        channel: str,
        message_ts: str,
        item: str,
        *,
        bad_signature: bool = False,
    ) -> DeliveryResult:
        """A person ticks (or unticks) the checkbox option whose text starts with ``item``:
        Slack sends the clicked element's whole selection after the click, as the person's
        client drew it from the message (its ``initial_options``) with that one box toggled."""
        person, where = self._user(user), self._channel(channel)
        message = self.standin.find_message(where.id, message_ts)
        if message is None:
            raise ValueError(f"no message {message_ts} in #{where.name}")
        block_id, element, option = find_option(message.blocks or [], item)
        ticked = {o.get("value") for o in element.get("initial_options") or []}
        ticked ^= {option.get("value")}
        chosen = [o for o in element["options"] if o.get("value") in ticked]
        action: JSON = {
            "type": "checkboxes",
            "action_id": element["action_id"],
            "block_id": block_id,
            "selected_options": chosen,
            "action_ts": f"{time.time():.6f}",
        }
        payload = self._block_actions(person, where, message_ts, message, action)
        payload["message"] = message_json(self.standin, message)
        payload["state"] = {
            "values": {
                block_id: {element["action_id"]: {"type": "checkboxes", "selected_options": chosen}}
            }
        }
        return await self._interaction("block_actions", payload, bad_signature)

    async def submit_view(
        self,
        user: str,
        view: str | JSON,
        values: dict[str, dict[str, Any]],
        *,
        bad_signature: bool = False,
    ) -> DeliveryResult:
        """A person submits a modal: ``view`` is an id from views.open, or a view object.

        ``values`` maps block_id -> action_id -> either a plain string (a text input) or the
        full state value object Slack would send.
        """
        person = self._user(user)
        shown = self.standin.views[view] if isinstance(view, str) else view
        state = {
            block: {
                action: v if isinstance(v, dict) else {"type": "plain_text_input", "value": v}
                for action, v in actions.items()
            }
            for block, actions in values.items()
        }
        payload: JSON = {
            "type": "view_submission",
            "team": {"id": self.standin.team_id, "domain": self.standin.team_domain},
            "user": self._user_ref(person),
            "api_app_id": self.standin.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.standin.new_trigger_id(),
            "view": {**shown, "state": {"values": state}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self._interaction("view_submission", payload, bad_signature)

    async def _interaction(self, kind: str, payload: JSON, bad_signature: bool) -> DeliveryResult:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send(kind, payload, body, FORM, bad_signature=bad_signature)

    async def _over_socket(self, kind: str, payload: JSON) -> DeliveryResult:
        """An envelope over Socket Mode (no signature: the socket is the authentication)."""
        started = time.perf_counter()
        answer = await self.standin.socket_mode.send(kind, payload)
        elapsed = (time.perf_counter() - started) * 1000
        status = None if answer is None else 200
        return DeliveryResult(status, json.dumps(answer), answer, elapsed, None)

    async def _send(
        self, kind: str, payload: JSON, body: bytes, content_type: str, *, bad_signature: bool
    ) -> DeliveryResult:
        return await self.standin.bus.send(
            self.url,
            kind=kind,
            payload=payload,
            body=body,
            content_type=content_type,
            bad_signature=bad_signature,
        )

    async def _deliver_all(self, events: list[JSON]) -> None:
        for event in events:
            result = await self.event(event)
            if not result.ok:
                raise DeliveryError(result)

    def _user(self, user: str) -> User:
        return self.standin.users[self.standin.resolve_user(user)]

    def _user_ref(self, person: User) -> JSON:
        return {
            "id": person.id,
            "username": person.name,
            "name": person.name,
            "team_id": self.standin.team_id,
        }

    def _channel(self, channel: str) -> Channel:
        found = self.standin.channel(channel)
        if found is None:
            raise KeyError(f"no channel {channel!r} in the stand-in workspace")
        return found

    def _own_message(self, user: str, channel: str, ts: str) -> Message:
        message = self.standin.find_message(self._channel(channel).id, ts)
        if message is None or message.user != self._user(user).id:
            raise ValueError(f"{user} has no message {ts} in {channel}")
        return message
