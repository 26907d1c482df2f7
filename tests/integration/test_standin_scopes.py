"""The stand-in checks scopes as Slack does: per token, `missing_scope` with what was needed and
what the token has, and the token's scopes in `x-oauth-scopes`."""

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.standin import SlackStandIn
from bot.slack.scopes import BOT_SCOPES

LIMITED = "xoxb-limited"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        standin.add_user("alice")
        standin.add_channel("public", members=["alice", "incident-bot"])
        standin.add_channel("secret", members=["alice", "incident-bot"], is_private=True)
        standin.add_token(LIMITED, ["chat:write", "channels:history"])
        yield standin


def _client(slack: SlackStandIn, token: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url)


def _channel_id(slack: SlackStandIn, name: str) -> str:
    channel = slack.channel(name)
    assert channel is not None
    return channel.id


async def test_the_bots_token_has_every_scope_the_manifest_asks_for(slack: SlackStandIn) -> None:
    answer = await _client(slack, slack.bot_token).auth_test()
    assert set(answer.headers["x-oauth-scopes"].split(",")) == set(BOT_SCOPES)


async def test_a_method_without_its_scope_is_refused_naming_it(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as refused:
        await _client(slack, LIMITED).users_info(user=slack.resolve_user("alice"))
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "users:read"
    assert refused.value.response["provided"] == "channels:history,chat:write"
    assert refused.value.response.headers["x-oauth-scopes"] == "channels:history,chat:write"


async def test_a_private_channel_needs_the_groups_scope(slack: SlackStandIn) -> None:
    client = _client(slack, LIMITED)
    public = await client.conversations_history(channel=_channel_id(slack, "public"))
    assert public["ok"] is True
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel=_channel_id(slack, "secret"))
    assert refused.value.response["needed"] == "groups:history"


async def test_an_unknown_token_is_refused(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as refused:
        await _client(slack, "xoxb-nobody").auth_test()
    assert refused.value.response["error"] == "invalid_auth"
