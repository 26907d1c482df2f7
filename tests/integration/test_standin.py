"""The Slack stand-in against the real slack_sdk clients and a real Bolt app."""

from __future__ import annotations

import errno
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.metadata import Metadata
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.demo.standin import BOT_ID, BOT_USER_ID, SlackSender, SlackStandIn, render_channel


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
async def bolt(slack: SlackStandIn, client: AsyncWebClient) -> AsyncIterator[list[Any]]:
    """A minimal Bolt app served on 127.0.0.1, wired as the stand-in's request URL."""
    app = AsyncApp(client=client, signing_secret=slack.signing_secret)
    seen: list[Any] = []

    @app.command("/incident")
    async def declare(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        seen.append(command)
        await respond(f"Declaring: {command['text']}")

    @app.action("ack")
    async def acknowledge(ack: Any, respond: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body)
        await respond(replace_original=True, text=f"Acknowledged by <@{body['user']['id']}>")

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any]) -> None:
        seen.append(event)

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    slack.events_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    yield seen
    await slack.drain()
    await runner.cleanup()


async def test_conversations_create_rejects_taken_and_invalid_names(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    created = await client.conversations_create(name="inc-42-db")
    assert created["channel"]["name"] == "inc-42-db"
    assert created["channel"]["creator"] == BOT_USER_ID
    assert created["channel"]["is_member"] is True
    slack.add_channel("inc-old", archived=True)
    for name, error in [
        ("inc-42-db", "name_taken"),
        ("inc-old", "name_taken"),
        ("Inc 42", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
    ]:
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_create(name=name)
        assert caught.value.response["error"] == error
    assert [c.error for c in slack.calls] == [
        None,
        "name_taken",
        "name_taken",
        "invalid_name_specials",
        "invalid_name_maxlength",
    ]


async def test_wrong_token_is_invalid_auth(slack: SlackStandIn) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await wrong.auth_test()
    assert caught.value.response.status_code == 200
    assert caught.value.response.data == {"ok": False, "error": "invalid_auth"}
    anonymous = AsyncWebClient(base_url=slack.api_url)
    with pytest.raises(SlackApiError, match="not_authed"):
        await anonymous.auth_test()
    ok = await AsyncWebClient(token=slack.bot_token, base_url=slack.api_url).auth_test()
    assert (ok["user_id"], ok["bot_id"], ok["team_id"]) == (BOT_USER_ID, BOT_ID, "T0STANDIN")


async def test_ratelimited_call_is_retried_after_retry_after(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    channel = slack.add_channel("ops", members=[BOT_USER_ID])
    slack.inject("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=channel.id, text="no retry handler")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "0"
    assert caught.value.response["error"] == "ratelimited"

    slack.inject("chat.postMessage", retry_after=0)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    posted = await client.chat_postMessage(channel=channel.id, text="retried")
    assert posted["message"]["text"] == "retried"
    assert [c.status for c in slack.calls] == [429, 429, 200]
    assert [m.text for m in slack.messages("ops")] == ["retried"]


async def test_injected_errors_and_rate_limit_budget() -> None:
    async with SlackStandIn(rate_limits={"users.info": 2}) as limited:
        limited_client = AsyncWebClient(token=limited.bot_token, base_url=limited.api_url)
        limited.inject("auth.test", "team_access_not_granted")
        limited.inject("conversations.create", status=503, times=2)
        with pytest.raises(SlackApiError, match="team_access_not_granted"):
            await limited_client.auth_test()
        for _ in range(2):
            with pytest.raises(SlackApiError) as server_error:
                await limited_client.conversations_create(name="inc-1")
            assert server_error.value.response.status_code == 503
        assert (await limited_client.conversations_create(name="inc-1"))["ok"]
        await limited_client.users_info(user=BOT_USER_ID)
        await limited_client.users_info(user=BOT_USER_ID)
        with pytest.raises(SlackApiError) as over:
            await limited_client.users_info(user=BOT_USER_ID)
        assert over.value.response.status_code == 429
        assert 0 < int(over.value.response.headers["Retry-After"]) <= 60


async def test_files_upload_v2_end_to_end(slack: SlackStandIn, client: AsyncWebClient) -> None:
    channel = (await client.conversations_create(name="inc-7"))["channel"]["id"]
    parent = await client.chat_postMessage(channel=channel, text="Timeline follows")
    uploaded = await client.files_upload_v2(
        channel=channel,
        content="09:00 alert fired\n09:05 paged",
        filename="timeline.md",
        title="Timeline",
        initial_comment="Draft timeline",
        thread_ts=parent["ts"],
    )
    (stored,) = slack.files()
    assert uploaded["file"]["id"] == stored.id
    assert stored.content == b"09:00 alert fired\n09:05 paged"
    assert (stored.title, stored.channels) == ("Timeline", [channel])
    share = slack.messages(channel)[-1]
    assert (share.subtype, share.text, share.thread_ts) == (
        "file_share",
        "Draft timeline",
        parent["ts"],
    )
    assert share.files[0]["id"] == stored.id
    assert [c.method for c in slack.calls][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_response_url_records_ephemeral_and_expires() -> None:
    clock = Clock()
    async with SlackStandIn(now=clock) as slack:
        alice = slack.add_user("alice")
        general = slack.add_channel("general", members=[alice.id])
        url = slack.new_response_url("general", "alice")
        webhook = AsyncWebhookClient(url)
        first = await webhook.send(text="Only you can see this")
        assert first.status_code == 200
        (eph,) = slack.ephemerals(user=alice.id)
        assert (eph.text, eph.via, eph.channel) == (
            "Only you can see this",
            "response_url",
            general.id,
        )
        await webhook.send(text="Everyone sees this", response_type="in_channel")
        assert [m.text for m in slack.messages("general")] == ["Everyone sees this"]
        for _ in range(3):
            assert (await webhook.send(text="again")).status_code == 200
        used = await webhook.send(text="sixth")
        assert (used.status_code, json.loads(used.body)["error"]) == (404, "used_url")

        fresh = AsyncWebhookClient(slack.new_response_url("general", "alice"))
        clock.t += 31 * 60
        expired = await fresh.send(text="too late")
        assert (expired.status_code, json.loads(expired.body)["error"]) == (404, "expired_url")


async def test_sender_signature_verifies_with_slack_sdk(slack: SlackStandIn) -> None:
    sender = SlackSender(slack)
    body = b"token=x&command=%2Fincident&text=db+down"
    headers = sender.sign(body)
    verifier = SignatureVerifier(slack.signing_secret)
    timestamp = headers["X-Slack-Request-Timestamp"]
    assert verifier.is_valid(body, timestamp, headers["X-Slack-Signature"])
    assert not verifier.is_valid(body + b"!", timestamp, headers["X-Slack-Signature"])
    stale = sender.sign(body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(
        body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"]
    )


async def test_wait_for_times_out_with_recent_calls(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    await client.auth_test()
    with pytest.raises(TimeoutError) as caught:
        await slack.wait_for(lambda s: len(s.messages("inc-never")) > 0, timeout=0.05)
    report = str(caught.value)
    assert "still false after 0.05s" in report
    assert "test_standin.py" in report
    assert "auth.test -> 200 ok" in report


async def test_chat_post_message_is_checked_like_slack(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    slack.add_channel("not-mine")
    mine = slack.add_channel("mine", members=[BOT_USER_ID])
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"channel": "not-mine", "text": "hi"}, "not_in_channel"),
        ({"channel": "C0NOPE", "text": "hi"}, "channel_not_found"),
        ({"channel": mine.id}, "no_text"),
        ({"channel": mine.id, "text": "t", "blocks": too_long}, "invalid_blocks"),
        ({"channel": mine.id, "text": "t", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ]
    for kwargs, error in cases:
        with pytest.raises(SlackApiError) as caught:
            await client.api_call("chat.postMessage", json=kwargs)
        assert caught.value.response["error"] == error
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=mine.id, text="t", blocks=too_long)
    assert "must be less than 3001 characters" in caught.value.response["errors"][0]
    posted = await client.chat_postMessage(channel="#mine", text="by name")
    assert posted["channel"] == mine.id
    assert posted["message"]["bot_id"] == BOT_ID
    link = await client.chat_getPermalink(channel=mine.id, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{mine.id}/p{posted['ts'].replace('.', '')}")


async def test_bolt_app_round_trip(
    slack: SlackStandIn, client: AsyncWebClient, bolt: list[Any]
) -> None:
    alice = slack.add_user("alice", display_name="Alice")
    slack.add_channel("general", members=[alice.id])
    sender = SlackSender(slack)

    result = await sender.slash("db is down", user="alice", channel="general")
    assert result.status == 200
    await slack.wait_for(lambda s: len(s.ephemerals(user="alice")) == 1)
    assert slack.ephemerals(user="alice")[0].text == "Declaring: db is down"
    refused = await sender.slash("forged", user="alice", channel="general", bad_signature=True)
    assert refused.status == 401

    channel = (await client.conversations_create(name="inc-1"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users=alice.id)
    buttons = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "ack",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                }
            ],
        }
    ]
    posted = await client.chat_postMessage(channel=channel, text="Incident 1", blocks=buttons)
    reply = await sender.post_message("alice", "inc-1", "on it", thread_ts=posted["ts"])
    bob = slack.add_user("bob")
    await sender.join("bob", "inc-1")
    await slack.drain()
    joined = [e for e in bolt if e.get("type") == "member_joined_channel"]
    assert [(e["user"], e.get("inviter")) for e in joined] == [
        (alice.id, BOT_USER_ID),
        (bob.id, None),
    ]
    assert not [e for e in bolt if e.get("bot_id")], "Bolt drops the bot's own messages"
    own = [d.payload["event"] for d in slack.deliveries if d.kind == "event:message"]
    assert [e["ts"] for e in own if e.get("bot_id") == BOT_ID] == [posted["ts"]]
    heard = [e for e in bolt if e.get("user") == alice.id and e.get("type") == "message"]
    assert heard[-1]["thread_ts"] == posted["ts"]
    assert heard[-1]["ts"] == reply.ts

    clicked = await sender.click("alice", "inc-1", posted["ts"], "ack")
    assert clicked.status == 200
    (action_body,) = [e for e in bolt if e.get("type") == "block_actions"]
    assert action_body["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    assert action_body["actions"][0]["block_id"] == posted["message"]["blocks"][0]["block_id"]
    original = slack.find_message(channel, posted["ts"])
    assert original is not None
    await slack.wait_for(lambda s: bool(original.edited_history))
    assert (original.text, original.blocks) == (f"Acknowledged by <@{alice.id}>", [])
    outcomes = {(d.kind, d.status) for d in slack.deliveries if d.kind != "slash:/incident"}
    assert outcomes == {
        ("event:member_joined_channel", 200),
        ("event:message", 200),
        ("block_actions", 200),
    }


async def test_render_channel_reads_like_slack(slack: SlackStandIn, client: AsyncWebClient) -> None:
    bob = slack.add_user("bob", display_name="Bob B")
    channel = (await client.conversations_create(name="inc-2"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users=bob.id)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "SEV2: checkout errors"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"Lead <@{bob.id}> &amp; <https://x.io/d|dash>"},
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Ack"}}
            ],
        },
    ]
    posted = await client.chat_postMessage(channel=channel, text="SEV2", blocks=blocks)
    await client.pins_add(channel=channel, timestamp=posted["ts"])
    await client.chat_postMessage(
        channel=channel, text="<!channel> &lt;update&gt;", thread_ts=posted["ts"]
    )
    text = render_channel(slack, "inc-2")
    assert "@Bob B has joined the channel" in text
    assert "📌 incident-bot: == SEV2: checkout errors ==" in text
    assert "Lead @Bob B & dash (https://x.io/d)" in text
    assert "[ Ack ]" in text
    assert "    ↳ " in text
    assert "incident-bot: @channel <update>" in text


async def test_outage_answers_503_to_everything_until_the_clock_passes() -> None:
    clock = Clock()
    async with SlackStandIn(monotonic=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        slack.add_user("alice")
        ops = slack.add_channel("ops", members=[BOT_USER_ID, "alice"])
        upload = await client.files_getUploadURLExternal(filename="t.md", length=2)
        webhook = AsyncWebhookClient(slack.new_response_url("ops", "alice"))
        slack.outage(20)
        wrong_token = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
        for call in (
            client.chat_postMessage(channel=ops.id, text="during"),
            client.conversations_history(channel=ops.id),
            client.conversations_create(name="inc-1"),
            wrong_token.auth_test(),
        ):
            with pytest.raises(SlackApiError) as caught:
                await call
            assert caught.value.response.status_code == 503
            assert caught.value.response.data == {"ok": False, "error": "service_unavailable"}
        assert (await webhook.send(text="reply")).status_code == 503
        async with (
            aiohttp.ClientSession() as http,
            http.post(upload["upload_url"], data=b"hi") as uploaded,
        ):
            assert uploaded.status == 503
        clock.t += 19.9
        with pytest.raises(SlackApiError, match="service_unavailable"):
            await client.chat_postMessage(channel=ops.id, text="still down")
        assert (slack.messages("ops"), slack.ephemerals(), slack.channel("inc-1")) == ([], [], None)

        clock.t += 0.1
        assert not slack.is_down
        await client.chat_postMessage(channel=ops.id, text="after")
        assert (await webhook.send(text="reply")).status_code == 200
        assert [m.text for m in slack.messages("ops")] == ["after"]
        assert [e.text for e in slack.ephemerals(user="alice")] == ["reply"]
    assert [(c.method, c.status) for c in slack.calls] == [
        ("files.getUploadURLExternal", 200),
        ("chat.postMessage", 503),
        ("conversations.history", 503),
        ("conversations.create", 503),
        ("auth.test", 503),
        ("response_url", 503),
        ("upload_url", 503),
        ("chat.postMessage", 503),
        ("chat.postMessage", 200),
    ]


async def test_refused_outage_resets_connections_then_recovers() -> None:
    clock = Clock()
    async with SlackStandIn(monotonic=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        ops = slack.add_channel("ops", members=[BOT_USER_ID])
        await client.auth_test()
        slack.outage(5, mode="refused")
        with pytest.raises(aiohttp.ClientOSError) as caught:
            await client.chat_postMessage(channel=ops.id, text="during")
        assert caught.value.errno == errno.ECONNRESET
        clock.t += 4.9
        with pytest.raises(aiohttp.ClientOSError):
            await client.chat_postMessage(channel=ops.id, text="still down")
        assert slack.messages("ops") == []
        clock.t += 0.1
        await client.chat_postMessage(channel=ops.id, text="after")

        slack.outage(None, mode="refused")
        clock.t += 3600
        with pytest.raises(aiohttp.ClientOSError):
            await client.auth_test()
        slack.end_outage()
        assert (await client.auth_test())["ok"]
    assert [m.text for m in slack.messages("ops")] == ["after"]
    refused = [(c.method, c.status, c.error) for c in slack.calls if c.error == "refused"]
    assert (
        refused
        == [("chat.postMessage", None, "refused")] * 4 + [("auth.test", None, "refused")] * 2
    ), "slack_sdk retries a reset connection once by default"
    assert len(slack.calls) == len(refused) + 3


async def test_message_metadata_round_trips_through_history(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    ops = slack.add_channel("ops", members=[BOT_USER_ID])
    marks: list[dict[str, Any]] = [
        {"event_type": "incident_bot_effect", "event_payload": {"effect_id": n}} for n in (1, 2)
    ]
    first = await client.chat_postMessage(
        channel=ops.id,
        text="one",
        metadata=Metadata(event_type="incident_bot_effect", event_payload={"effect_id": 1}),
    )
    second = await client.api_call(
        "chat.postMessage",
        data={"channel": ops.id, "text": "two", "metadata": json.dumps(marks[1])},
    )
    await client.chat_postMessage(channel=ops.id, text="unmarked")
    assert first["message"]["metadata"] == marks[0]

    plain = await client.conversations_history(channel=ops.id)
    assert [m.get("metadata") for m in plain["messages"]] == [None, None, None]
    seen: list[tuple[str, Any]] = []
    cursor = None
    while True:
        page = await client.conversations_history(
            channel=ops.id, include_all_metadata=True, limit=2, cursor=cursor
        )
        seen += [(m["text"], m.get("metadata")) for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == [("unmarked", None), ("two", marks[1]), ("one", marks[0])]
    since_first = await client.conversations_history(
        channel=ops.id, include_all_metadata=True, oldest=first["ts"]
    )
    assert [m["text"] for m in since_first["messages"]] == ["unmarked", "two"]

    remark = {"event_type": "incident_bot_effect", "event_payload": {"effect_id": 3}}
    await client.chat_update(channel=ops.id, ts=first["ts"], text="one, edited", metadata=remark)
    edited = await client.conversations_history(
        channel=ops.id, include_all_metadata=True, latest=second["ts"]
    )
    assert [(m["text"], m["metadata"]) for m in edited["messages"]] == [("one, edited", remark)]

    for metadata, error in [
        ("{not json", "invalid_metadata_format"),
        ("[1]", "invalid_metadata_format"),
        (json.dumps({"event_type": "x"}), "invalid_metadata_schema"),
        (json.dumps({"event_type": "", "event_payload": {}}), "invalid_metadata_schema"),
    ]:
        with pytest.raises(SlackApiError) as caught:
            await client.api_call(
                "chat.postMessage", data={"channel": ops.id, "text": "t", "metadata": metadata}
            )
        assert caught.value.response["error"] == error
    assert len(slack.messages("ops")) == 3


async def test_conversations_list_finds_a_created_channel_by_its_name(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    slack.add_channel("general")
    slack.add_channel("secret", is_private=True)
    slack.add_channel("old", archived=True)
    mine = slack.add_channel("mine", is_private=True, members=[BOT_USER_ID])
    created = (await client.conversations_create(name="inc-20261124-1"))["channel"]
    with pytest.raises(SlackApiError, match="name_taken"):
        await client.conversations_create(name="inc-20261124-1")

    async def names(**kwargs: Any) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = await client.conversations_list(limit=1, cursor=cursor, **kwargs)
            found += [c["name"] for c in page["channels"]]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                return found

    assert await names() == ["general", "old", "inc-20261124-1"]
    both = await names(types="public_channel,private_channel", exclude_archived=True)
    assert both == ["general", "mine", "inc-20261124-1"]
    listed = await client.conversations_list(types="public_channel,private_channel")
    by_name = {c["name"]: c for c in listed["channels"]}
    assert by_name["inc-20261124-1"]["id"] == created["id"]
    assert (by_name["mine"]["is_private"], by_name["mine"]["num_members"]) == (True, 1)
    assert mine.id == by_name["mine"]["id"]
    refused: list[tuple[dict[str, Any], str]] = [
        ({"types": "channels"}, "invalid_types"),
        ({"limit": 1001}, "invalid_limit"),
        ({"cursor": "bm90IG91cnM="}, "invalid_cursor"),
    ]
    for kwargs, error in refused:
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_list(**kwargs)
        assert caught.value.response["error"] == error
