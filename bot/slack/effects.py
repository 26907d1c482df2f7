"""Slack effects as outbox rows: how a service records one, and how the dispatcher makes it.

A service never calls Slack for something that must happen: it records the effect here, in
the transaction that changes the state, and `deliver` makes the call later, on any replica.
Each kind of effect knows how to tell, after a crash, whether an earlier attempt already
reached Slack: a post carries its effect id in the message metadata, a channel is found by its
reserved name, a shared file by its title; the rest (invite, topic, pin, edit) are idempotent.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from bot.charts import render_png
from bot.domain.effects import Effect, NewEffect
from bot.domain.figures import Chart
from bot.slack.gateway import NameTaken, SlackError, SlackGateway
from bot.slack.messages import SlackMessage

log = structlog.get_logger(__name__)

Result = dict[str, Any]
_SLACK_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


def lane(channel: str) -> str:
    """Effects into one channel are delivered in the order they were recorded."""
    return f"channel:{channel}"


def _message(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.block_dicts()}


def as_message(args: dict[str, Any]) -> SlackMessage:
    """The message an effect's args hold (`text`, `blocks`), as it was recorded."""
    return SlackMessage(text=str(args["text"]), recorded_blocks=list(args.get("blocks") or []))


CREATE_CHANNEL = "create_channel"


def create_channel(
    name: str,
    *,
    incident_id: int,
    first: SlackMessage,
    attempt: int,
    then_do: str,
    notify: dict[str, Any] | None,
) -> NewEffect:
    """Create an incident's reserved channel and post `first` in it (see `_create_channel`)."""
    return NewEffect(
        CREATE_CHANNEL,
        {"name": name, "first": _message(first), "attempt": attempt},
        lane=f"incident:{incident_id}",
        about=f"create #{name}",
        incident_id=incident_id,
        then_do=then_do,
        notify=notify,
    )


def post(
    channel: str,
    message: SlackMessage,
    *,
    about: str,
    incident_id: int | None = None,
    thread_ts: str | None = None,
    then_do: str | None = None,
    coalesce_key: str | None = None,
    notify: dict[str, Any] | None = None,
    mark: int | None = None,
) -> NewEffect:
    """A message in a channel; `mark`: the id of the effect whose attempt may have posted it
    already (see `_post`)."""
    return NewEffect(
        "post",
        {
            "channel": channel,
            "thread_ts": thread_ts,
            **_message(message),
            **({"mark": mark} if mark is not None else {}),
        },
        lane=lane(channel),
        about=about,
        incident_id=incident_id,
        then_do=then_do,
        coalesce_key=coalesce_key,
        notify=notify,
    )


def update(
    channel: str, ts: str, message: SlackMessage, *, about: str, incident_id: int | None = None
) -> NewEffect:
    return NewEffect(
        "update",
        {"channel": channel, "ts": ts, **_message(message)},
        lane=lane(channel),
        about=about,
        incident_id=incident_id,
    )


def pin(channel: str, ts: str, *, about: str, incident_id: int | None = None) -> NewEffect:
    return NewEffect(
        "pin",
        {"channel": channel, "ts": ts},
        lane=lane(channel),
        about=about,
        incident_id=incident_id,
    )


def set_topic(channel: str, topic: str, *, incident_id: int | None = None) -> NewEffect:
    return NewEffect(
        "set_topic",
        {"channel": channel, "topic": topic},
        lane=lane(channel),
        about="set the topic",
        incident_id=incident_id,
    )


def invite(
    channel: str, users: list[str], *, about: str, incident_id: int | None = None
) -> NewEffect:
    return NewEffect(
        "invite",
        {"channel": channel, "users": sorted(set(users))},
        lane=lane(channel),
        about=about,
        incident_id=incident_id,
    )


def share_file(
    channel: str,
    *,
    filename: str,
    content: str,
    title: str,
    initial_comment: str,
    about: str,
    incident_id: int | None = None,
    notify: dict[str, Any] | None = None,
) -> NewEffect:
    return NewEffect(
        "share_file",
        {
            "channel": channel,
            "filename": filename,
            "content": content,
            "title": title,
            "initial_comment": initial_comment,
        },
        lane=lane(channel),
        about=about,
        incident_id=incident_id,
        notify=notify,
    )


def share_chart(
    channel: str,
    chart: Chart,
    *,
    filename: str,
    initial_comment: str,
    about: str,
    notify: dict[str, Any] | None = None,
) -> NewEffect:
    """Share the figures' chart as a PNG. The row carries the chart's points, not the image: a
    few hundred bytes of JSON instead of tens of kilobytes of base64 per effect, and the PNG is
    drawn where it is sent (`bot.charts`), on the replica that delivers it."""
    return NewEffect(
        "share_chart",
        {
            "channel": channel,
            "filename": filename,
            "title": chart.title,
            "initial_comment": initial_comment,
            "chart": chart.to_args(),
        },
        lane=lane(channel),
        about=about,
        notify=notify,
    )


def ephemeral(channel: str, user: str, message: SlackMessage, *, about: str) -> NewEffect:
    return NewEffect(
        "ephemeral",
        {"channel": channel, "user": user, **_message(message)},
        lane=f"person:{user}",
        about=about,
    )


def respond(
    response_url: str,
    message: SlackMessage,
    *,
    about: str,
    private: bool = False,
    incident_id: int | None = None,
) -> NewEffect:
    """An answer through a command's or click's `response_url` (5 uses within 30 minutes)."""
    return NewEffect(
        "respond",
        {"response_url": response_url, "private": private, **_message(message)},
        lane=f"response:{response_url}",
        about=about,
        incident_id=incident_id,
    )


async def _channel_id(slack: SlackGateway, channel: str) -> str:
    """Slack's id of a channel named by id or by name (`incidents`: the announce channel)."""
    if _SLACK_ID.fullmatch(channel):
        return channel
    found = await slack.find_channel(channel.removeprefix("#"))
    return str(found["id"]) if found else channel


async def _look(finding: Awaitable[str | None]) -> str | None:
    """What an earlier attempt left in Slack; None if Slack cannot say for good (then the
    effect is made again: a rare duplicate rather than a loss)."""
    try:
        return await finding
    except SlackError as error:
        if error.is_transient:
            raise
        log.warning("earlier_attempt_unknown", error=error.error)
        return None


async def _create_channel(slack: SlackGateway, effect: Effect) -> Result:
    """Create the reserved channel and post its first message in it, marked with this effect's
    id: the person waiting for their channel waits for no transaction between the two calls.

    After a lost outcome the channel is adopted if the bot made it, and the message is looked
    for before it is posted. A first message that does not go in is left to the follow-up
    (`first_ts` absent), which records it as a post of its own carrying this mark: the channel
    stays made whatever happens to the message.
    """
    name = str(effect.args["name"])
    try:
        made: Result = {"channel": await slack.create_channel(name), "name": name}
    except NameTaken:
        found = await slack.find_channel(name)
        if found is None or found.get("creator") != await slack.bot_user_id():
            raise
        made = {"channel": str(found["id"]), "name": name, "adopted": True}
    channel = str(made["channel"])
    try:
        ts = await slack.find_marked(channel, effect.id) if made.get("adopted") else None
        ts = ts or await slack.post(channel, as_message(effect.args["first"]), mark=effect.id)
    except SlackError as error:
        log.warning("first_message_not_posted", error=error.error)
        return made
    return {**made, "first_ts": ts}


async def _post(slack: SlackGateway, effect: Effect) -> Result:
    """Post, marked with the effect's id, or with the `mark` of the effect it continues (a first
    message its channel's creation did not get in): then an earlier attempt is looked for."""
    channel, thread_ts = str(effect.args["channel"]), effect.args.get("thread_ts")
    mark = int(effect.args.get("mark") or effect.id)
    if effect.maybe_done or "mark" in effect.args:
        ts = await _look(
            slack.find_marked(await _channel_id(slack, channel), mark, thread_ts=thread_ts)
        )
        if ts is not None:
            return {"ts": ts, "channel": channel, "found": True}
    ts = await slack.post(channel, as_message(effect.args), thread_ts=thread_ts, mark=mark)
    return {"ts": ts, "channel": channel}


async def _update(slack: SlackGateway, effect: Effect) -> Result:
    args = effect.args
    await slack.update(str(args["channel"]), str(args["ts"]), as_message(args))
    return {}


async def _pin(slack: SlackGateway, effect: Effect) -> Result:
    await slack.pin(str(effect.args["channel"]), str(effect.args["ts"]))
    return {}


async def _set_topic(slack: SlackGateway, effect: Effect) -> Result:
    await slack.set_topic(str(effect.args["channel"]), str(effect.args["topic"]))
    return {}


async def _invite(slack: SlackGateway, effect: Effect) -> Result:
    await slack.invite(str(effect.args["channel"]), [str(u) for u in effect.args["users"]])
    return {}


async def _share_file(slack: SlackGateway, effect: Effect) -> Result:
    args = effect.args
    channel, title = str(args["channel"]), str(args["title"])
    if effect.maybe_done:
        since = effect.created_at.timestamp()
        found = await _look(slack.find_shared_file(await _channel_id(slack, channel), title, since))
        if found is not None:
            return {"file": found, "found": True}
    file_id = await slack.share_file(
        channel,
        str(args["filename"]),
        str(args["content"]),
        title=title,
        initial_comment=str(args["initial_comment"]),
    )
    return {"file": file_id}


async def _share_chart(slack: SlackGateway, effect: Effect) -> Result:
    args = effect.args
    channel = await _channel_id(slack, str(args["channel"]))  # an upload names the channel by id
    title = str(args["title"])
    if effect.maybe_done:
        since = effect.created_at.timestamp()
        found = await _look(slack.find_shared_file(channel, title, since))
        if found is not None:
            return {"file": found, "found": True}
    # Drawing takes a few hundred milliseconds of CPU: off the event loop.
    png = await asyncio.to_thread(render_png, Chart.from_args(args["chart"]))
    file_id = await slack.share_file(
        channel,
        str(args["filename"]),
        png,
        title=title,
        initial_comment=str(args["initial_comment"]),
    )
    return {"file": file_id}


async def _ephemeral(slack: SlackGateway, effect: Effect) -> Result:
    args = effect.args
    await slack.post_ephemeral(str(args["channel"]), str(args["user"]), as_message(args))
    return {}


async def _respond(slack: SlackGateway, effect: Effect) -> Result:
    args = effect.args
    await slack.send_response(
        str(args["response_url"]), as_message(args), private=bool(args.get("private"))
    )
    return {}


Deliverer = Callable[[SlackGateway, Effect], Awaitable[Result]]

DELIVERERS: dict[str, Deliverer] = {
    "create_channel": _create_channel,
    "post": _post,
    "update": _update,
    "pin": _pin,
    "set_topic": _set_topic,
    "invite": _invite,
    "share_file": _share_file,
    "share_chart": _share_chart,
    "ephemeral": _ephemeral,
    "respond": _respond,
}


async def deliver(slack: SlackGateway, effect: Effect) -> Result:
    """Make the effect's call; raises SlackError when Slack refuses or cannot be reached."""
    deliverer = DELIVERERS.get(effect.method)
    if deliverer is None:
        raise SlackError(effect.method, "unknown_effect")
    return await deliverer(slack, effect)
