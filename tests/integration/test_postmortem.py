"""The post-mortem as people get it: shared on resolve and on request, stored, printed by the CLI."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot import cli
from bot.demo.sandbox import Sandbox
from bot.services.people import names_of
from bot.slack.gateway import SlackGateway
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import (
    message_in,
    reply_to,
    resolved_postmortem,
    run_in,
    section,
    shared_postmortem,
)


async def test_resolving_shares_the_postmortem_as_a_markdown_file(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    document = await resolved_postmortem(bot, channel)

    file = bot.slack.files()[0]
    assert (file.name, file.title) == (
        "postmortem-incident-20261124-001.md",
        "Post-mortem: Checkout errors",
    )
    assert file.channels == [channel.id]
    comment = await message_in(bot, channel.id, "Post-mortem first draft")
    assert "written from 2 timeline entries" in comment
    assert document.startswith("# Post-mortem: Checkout errors\n")
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT markdown FROM postmortems") == document


async def test_the_postmortem_command_writes_it_again_from_the_latest_timeline(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    first = await resolved_postmortem(bot, channel)
    await run_in(bot, channel, "note lesson: page the storage team sooner", "page the storage")
    await bot.command("postmortem", channel=channel.id, user="bob")
    second = await shared_postmortem(bot, 2)

    assert "page the storage team sooner" not in first
    assert "- page the storage team sooner _(alice" in section(second, "## Lessons learned")
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM postmortems") == 2


async def test_display_names_are_looked_up_once_per_person_never_by_listing(
    bot: Sandbox,
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.sender.join("bob", channel.id)
    await bot.sender.post_message("bob", channel.id, "on it")
    await resolved_postmortem(bot, channel)
    await bot.command("postmortem", channel=channel.id)
    await shared_postmortem(bot, 2)

    looked_up = [c.params["user"] for c in bot.slack.calls if c.method == "users.info"]
    assert sorted(looked_up) == sorted(bot.slack.resolve_user(p) for p in ("alice", "bob"))
    assert not [c for c in bot.slack.calls if c.method == "users.list"]


async def test_a_refused_upload_still_stores_the_document_and_says_so(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    bot.slack.inject("files.getUploadURLExternal", "file_uploads_disabled")
    await bot.command("resolve fixed", channel=channel.id)

    reply = await reply_to(bot, "alice", "Could not share the post-mortem")
    assert "`file_uploads_disabled`" in reply
    assert "Could not share the post-mortem" in bot.slack.messages(channel.id)[-1].text
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM postmortems") == 1
        assert await conn.fetchval("SELECT status FROM incidents") == "resolved"


async def test_outside_an_incident_channel_postmortem_says_where_it_works(bot: Sandbox) -> None:
    await bot.command("postmortem", channel="incidents")
    reply = await reply_to(bot, "alice", "works inside an incident channel")
    assert "Usage: `/incident postmortem`" in reply


async def test_the_document_of_an_open_incident_is_written_fresh_and_marked_draft(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(minutes=7)
    document = await bot.services.postmortems.document(channel.name)
    assert "> **Draft** — the incident is still open" in document
    assert "- **Ended:** still open" in document
    assert "    Investigating :2026-11-24 09:30:00, 2026-11-24 09:37:00" in document


async def test_the_cli_prints_the_stored_postmortem(
    bot: Sandbox,
    migrated: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    document = await resolved_postmortem(bot, channel)
    monkeypatch.chdir(tmp_path)
    for name, value in (("DATABASE_URL", migrated), ("SLACK_API_URL", bot.slack.api_url)):
        monkeypatch.setenv(name, value)
    capsys.readouterr()  # what the bot logged so far
    try:
        printed = await asyncio.to_thread(cli.main, ["postmortem", f"#{channel.name}"])
        out = capsys.readouterr().out
        by_number = await asyncio.to_thread(cli.main, ["postmortem", "1"])
        out_by_number = capsys.readouterr().out
        by_id = await asyncio.to_thread(cli.main, ["postmortem", channel.id])
        out_by_id = capsys.readouterr().out
        missing = await asyncio.to_thread(cli.main, ["postmortem", "#incident-19990101-001"])
    finally:
        structlog.reset_defaults()
    assert (printed, out.strip()) == (0, document)
    assert (by_number, out_by_number.strip()) == (0, document)
    assert (by_id, out_by_id.strip()) == (0, document)
    assert missing == 1
    assert "No incident is '#incident-19990101-001'" in capsys.readouterr().err


async def test_links_are_left_out_when_slack_wont_name_the_workspace(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    bot.slack.inject("auth.test", "invalid_auth")
    await bot.sender.post_message("alice", channel.id, "no link for me")
    clock.advance(minutes=1)
    document = await resolved_postmortem(bot, channel)
    assert "| alice | no link for me |" in document


async def test_people_slack_cannot_describe_are_shown_by_their_id(db: Pool) -> None:
    async with aiohttp.ClientSession() as session:
        nowhere = AsyncWebClient(
            token="xoxb-1", base_url="http://127.0.0.1:9/api/", session=session, retry_handlers=[]
        )
        gateway = SlackGateway(nowhere, session)
        names = await names_of(db, gateway, {"U0GONE"}, datetime.now(UTC))
        assert (names, await gateway.workspace_url()) == ({"U0GONE": "U0GONE"}, None)
