"""`/incident followup` and `note action item:` record a follow-up, posted with Done and Drop…;
the post-mortem lists them with owner and due date; bad input is refused in words."""

from datetime import date

import pytest

from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.followups.helpers import (
    buttons,
    followup_messages,
    recorded,
    rows,
    user_id,
)
from tests.integration.helpers import reply_to, resolved_postmortem, section, stamped

USAGE = "Usage: `/incident followup &lt;text…&gt; [@owner] [due YYYY-MM-DD | due in 2w]`"


async def test_a_followup_is_recorded_with_owner_and_due_date_and_posted_with_its_buttons(
    bot: Sandbox, db: Pool
) -> None:
    channel = await bot.declare()
    bob = user_id(bot, "bob")

    message = await recorded(
        bot, channel, f"followup Add retries to token refresh <@{bob}|bob> due in 2w"
    )

    assert "Add retries to token refresh" in message.text
    assert f"<@{bob}>" in message.text
    assert "2026-12-08" in message.text
    assert buttons(message) == ["followup.done", "followup.drop"]
    (row,) = await rows(db)
    assert (row["text"], row["owner_id"], row["due_on"], row["state"]) == (
        "Add retries to token refresh",
        bob,
        date(2026, 12, 8),
        "open",
    )
    assert row["message_ts"] == message.ts
    (entry,) = await stamped(db, "followup_recorded")
    assert entry["body"] == "Add retries to token refresh"


async def test_an_action_item_note_records_one_followup(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare()

    message = await recorded(bot, channel, "note action item: alert on shard disk at 80%")

    assert "alert on shard disk at 80%" in message.text
    (row,) = await rows(db)
    assert len(await stamped(db, "note")) == 1
    assert row["text"] == "alert on shard disk at 80%"
    assert row["owner_id"] is None
    assert row["source_entry"] is not None


async def test_a_followup_can_be_recorded_after_resolve(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare()
    await resolved_postmortem(bot, channel)

    await recorded(bot, channel, "followup Write the customer letter")

    assert [r["text"] for r in await rows(db)] == ["Write the customer letter"]


async def test_the_postmortem_lists_followups_with_owner_and_due_date(bot: Sandbox) -> None:
    channel = await bot.declare()
    bob = user_id(bot, "bob")
    await recorded(bot, channel, f"followup Add a canary stage <@{bob}> due 2026-12-15")
    await recorded(bot, channel, "note action item: page on shard disk at 80%")

    document = await resolved_postmortem(bot, channel)

    assert section(document, "## Action items").splitlines() == [
        "- [ ] Add a canary stage — bob — due 2026-12-15 _(noted by alice)_",
        "- [ ] page on shard disk at 80% — _owner?_ — _due?_ _(noted by alice)_",
    ]


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("followup Fix it due 2026-11-23", "2026-11-23 is in the past (today is 2026-11-24)."),
        ("followup Fix it due in 0d", "`due in 0d` is now"),
        ("followup Fix it due 2026-02-30", "`2026-02-30` is not a date"),
        ("followup Fix it @someone-who-left", "`@someone-who-left` is not a person"),
        ("followup Fix it <@U0NOBODY>", "&lt;@U0NOBODY&gt; is not a person in this workspace."),
        ("followup", "Missing follow-up text."),
        ("followup " + "x" * 5000, "The follow-up text is 5000 characters; the limit is 250."),
    ],
)
async def test_bad_input_is_refused_with_the_usage_line(
    bot: Sandbox, db: Pool, clock: FakeClock, typed: str, problem: str
) -> None:
    channel = await bot.declare()

    await bot.command(typed, channel=channel.id)

    answer = await reply_to(bot, "alice", USAGE)
    assert problem in answer
    await bot.settle()
    assert await rows(db) == []
    assert followup_messages(bot, channel.id) == []


async def test_an_owner_who_left_the_workspace_is_refused(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare()
    carol = bot.slack.users[user_id(bot, "carol")]
    carol.deleted = True

    await bot.command(f"followup Rotate the keys <@{carol.id}|carol>", channel=channel.id)

    assert f"&lt;@{carol.id}&gt; is not a person" in await reply_to(bot, "alice", USAGE)
    assert await rows(db) == []


async def test_a_followup_outside_an_incident_channel_is_refused(bot: Sandbox, db: Pool) -> None:
    await bot.command("followup Fix it", channel="incidents")

    answer = await reply_to(bot, "alice", "works inside an incident channel")
    assert USAGE in answer
    assert await rows(db) == []
