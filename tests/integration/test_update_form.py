import json
from datetime import timedelta
from typing import Any

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import message_in, reply_to
from tests.integration.timers import reminders_in, rows, run_due


async def reminder_ts(bot: Sandbox, clock: FakeClock, channel: Channel) -> str:
    clock.advance(minutes=15)
    await run_due(bot)
    return reminders_in(bot.slack, channel.id)[-1].ts


async def open_form(bot: Sandbox, clock: FakeClock, user: str = "bob") -> tuple[Channel, str]:
    """Declare a SEV-1, let its reminder fire, click "Post update"; return the modal's id."""
    channel = await bot.declare("sev1 Checkout errors")
    ts = await reminder_ts(bot, clock, channel)
    await bot.sender.click(user, channel.id, ts, "reminder.post_update")
    await bot.slack.wait_for(lambda s: bool(s.views))
    return channel, next(iter(bot.slack.views))


def form(
    actions: str, *, status: str = "mitigating", impact: str = "", next_steps: str = ""
) -> dict[str, dict[str, Any]]:
    return {
        "status": {"status": {"type": "static_select", "selected_option": {"value": status}}},
        "impact": {"impact": impact},
        "actions_taken": {"actions_taken": actions},
        "next_steps": {"next_steps": next_steps},
    }


async def test_post_update_opens_the_update_form_with_the_current_status(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel, view_id = await open_form(bot, clock)
    view = bot.slack.views[view_id]
    assert view["callback_id"] == "reminder.update"
    assert view["title"]["text"] == "Post Update #1"
    assert json.loads(view["private_metadata"]) == {"channel": channel.id}
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["status", "impact", "actions_taken", "next_steps"]
    assert inputs["status"]["element"]["initial_option"]["value"] == "investigating"
    assert inputs["actions_taken"].get("optional") is False


async def test_submitting_the_form_posts_update_n_as_the_command_does(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    channel, view_id = await open_form(bot, clock)
    result = await bot.sender.submit_view(
        "bob",
        view_id,
        form(
            "Rolled back <!channel> to v2.3.0",
            impact="12% of checkouts fail",
            next_steps="Watch error rate for 30 min",
        ),
    )
    assert result.status == 200

    posted = await message_in(bot, channel.id, "Update #1 –")
    assert "*Current status:* Mitigating (was Investigating)" in posted
    assert "*Impact:* 12% of checkouts fail" in posted
    assert "*Actions taken:* Rolled back &lt;!channel&gt; to v2.3.0" in posted
    assert "*Next steps:* Watch error rate for 30 min" in posted
    assert f"Posted by <@{bot.slack.resolve_user('bob')}>" in posted
    (entry,) = await rows(db, "SELECT body, data FROM timeline_entries WHERE kind = 'update'")
    assert entry["body"] == "Rolled back <!channel> to v2.3.0"
    assert entry["data"]["impact"] == "12% of checkouts fail"
    next_reminder = await rows(
        db, "SELECT due_at FROM jobs WHERE kind = 'reminder' AND state = 'pending'"
    )
    assert next_reminder == [{"due_at": clock.now + timedelta(minutes=15)}]


async def test_a_form_without_actions_taken_stays_open_with_an_error(
    bot: Sandbox, clock: FakeClock, db: Pool
) -> None:
    _, view_id = await open_form(bot, clock)
    result = await bot.sender.submit_view("bob", view_id, form("  "))
    assert result.json == {
        "response_action": "errors",
        "errors": {"actions_taken": "Say what was done since the last update."},
    }
    assert await rows(db, "SELECT id FROM timeline_entries WHERE kind = 'update'") == []


async def test_the_form_of_a_resolved_incident_is_refused(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ts = await reminder_ts(bot, clock, channel)
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.sender.click("bob", channel.id, ts, "reminder.post_update")
    assert "already resolved" in await reply_to(bot, "bob", "resolved")
    assert bot.slack.views == {}


async def test_snoozing_a_resolved_incident_is_refused(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ts = await reminder_ts(bot, clock, channel)
    await bot.command("resolve Rolled back", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.sender.click("bob", channel.id, ts, "reminder.snooze_15")
    assert "already resolved" in await reply_to(bot, "bob", "resolved")


async def test_a_form_slack_would_not_open_is_explained(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    ts = await reminder_ts(bot, clock, channel)
    bot.slack.inject("views.open", "expired_trigger_id")
    await bot.sender.click("bob", channel.id, ts, "reminder.post_update")
    said = await reply_to(bot, "bob", "update form")
    assert "Slack did not open the update form (expired_trigger_id)" in said
