"""`incident-bot demo`: a scripted SEV-1 through Slack's real request path, printed as people see it.

The bot, its PostgreSQL (embedded unless `DATABASE_URL` is set) and the Slack stand-in all run
in this process; every command is a signed HTTP request, every Slack call a real Web API call.
"""

import os
import sys
from datetime import UTC, datetime, timedelta

from bot.config import Policy
from bot.domain.durations import format_duration
from bot.domain.severity import DEFAULT_SEVERITIES
from bot.logging import configure
from bot.sandbox import Sandbox, sandbox
from bot.standin import Channel, SlackStandIn, render_channel, render_ephemerals
from bot.store import incidents


def _say(text: str) -> None:
    print(f"\n\033[1m▸ {text}\033[0m", flush=True)


class ScriptClock:
    """The demo's clock: the script moves it, so twenty minutes of incident play in a second."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


async def _script(box: Sandbox, clock: ScriptClock) -> Channel:
    slack = box.slack
    _say("alice declares a SEV-1")
    channel = await box.declare(
        "sev1 Checkout API returning 500s for 12% of requests", user="alice"
    )
    bob = slack.resolve_user("bob")

    _say(f"bob and carol join #{channel.name}; three people talk")
    for person in ("bob", "carol"):
        await box.sender.join(person, channel.id)
    for person, text in (
        (
            "alice",
            "Error rate on checkout-api jumped right after the v2.3.1 deploy",
        ),
        ("bob", "Seeing NullPointerException in PaymentController since the deploy"),
        ("carol", "Support has 40 tickets about failed payments in the last 10 minutes"),
    ):
        clock.advance(1)
        await box.sender.post_message(person, channel.id, text)

    _say("alice makes bob technical lead; bob posts updates")
    clock.advance(1)
    await box.command(f"assign lead <@{bob}|bob>", user="alice", channel=channel.id)
    clock.advance(4)
    await box.command(
        "update identified: v2.3.1 broke payment token refresh; rolling back to v2.3.0",
        user="bob",
        channel=channel.id,
    )
    await slack.wait_for(lambda s: any("Update #1" in m.text for m in s.messages(channel.id)))
    clock.advance(3)
    await box.command("status", user="alice", channel=channel.id)
    await slack.wait_for(lambda s: any("Next update due" in e.text for e in s.ephemerals("alice")))
    await box.command(
        "update monitoring: rolled back; error rate 0.4% and falling",
        user="bob",
        channel=channel.id,
    )
    await slack.wait_for(lambda s: any("Update #2" in m.text for m in s.messages(channel.id)))
    clock.advance(10)
    await _reminder_and_update_form(box, channel)

    _say("alice resolves it")
    clock.advance(6)
    await box.command(
        "resolve Rolled back checkout-api to v2.3.0; error rate back to baseline",
        user="alice",
        channel=channel.id,
    )
    announce = box.services.policy.announce_channel
    await slack.wait_for(lambda s: any("Resolved" in m.text for m in s.messages(announce)))
    return channel


async def _reminder_and_update_form(box: Sandbox, channel: Channel) -> None:
    """Ten quiet minutes (the demo policy's SEV-1 cadence): the reminder, then its update form."""
    _say("ten minutes without an update: the bot reminds the commander")
    await box.services.scheduler.run_due()
    reminder = next(m for m in box.slack.messages(channel.id) if m.text.startswith(":alarm_clock:"))
    _say("bob clicks “Post update” and fills in the form")
    await box.sender.click("bob", channel.id, reminder.ts, "reminder.post_update")
    await box.slack.wait_for(lambda s: bool(s.views))
    form: dict[str, dict[str, object]] = {
        "status": {"status": {"type": "static_select", "selected_option": {"value": "monitoring"}}},
        "impact": {"impact": "Checkout error rate 0.2%, at baseline"},
        "actions_taken": {"actions_taken": "Rollback complete; payment retries drained"},
        "next_steps": {"next_steps": "Watch for 15 minutes, then resolve"},
    }
    await box.sender.submit_view("bob", next(iter(box.slack.views)), form)
    await box.slack.wait_for(lambda s: any("Update #3 –" in m.text for m in s.messages(channel.id)))


def demo_policy() -> Policy:
    """The default policy with SEV-1 updates due every 10 minutes, so a reminder shows up soon."""
    severities = {key: dict(spec) for key, spec in DEFAULT_SEVERITIES.items()}
    severities["sev1"]["update_every"] = "10m"
    return Policy.model_validate({"severities": severities})


def _print_views(slack: SlackStandIn, channel: Channel, announce: str) -> None:
    for title, body in (
        (f"#{channel.name}", render_channel(slack, channel.id)),
        (f"#{announce}", render_channel(slack, announce)),
        ("only alice sees (ephemeral)", render_ephemerals(slack, "alice")),
    ):
        print(f"\n\033[1m┌─ {title} ─\033[0m\n{body}")


async def run_demo(*, quiet_logs: bool = True) -> int:
    configure("console", "WARNING" if quiet_logs else "INFO")
    database_url = os.environ.get("DATABASE_URL") or None
    clock = ScriptClock()
    slack = SlackStandIn(now=clock.timestamp)
    policy = demo_policy()
    async with sandbox(database_url=database_url, policy=policy, clock=clock, slack=slack) as box:
        channel = await _script(box, clock)
        await box.slack.drain()
        _print_views(box.slack, channel, box.services.policy.announce_channel)
        async with box.services.pool.acquire() as conn:
            incident = await incidents.by_channel(conn, channel.id)
    if incident is None or incident.is_open:
        print("\ndemo failed: the incident was not resolved", file=sys.stderr)
        return 1
    print(
        f"\n✔ {incident.channel_name}: declared, {incident.update_count} updates, resolved after "
        f"{format_duration(incident.age(clock()))}; every step stored in PostgreSQL"
    )
    return 0
