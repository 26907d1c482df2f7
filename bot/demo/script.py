"""`incident-bot demo`: a scripted SEV-1 through Slack's real request path, printed as people see it.

The bot, its PostgreSQL (embedded unless `DATABASE_URL` is set) and the Slack stand-in all run
in this process; every command is a signed HTTP request, every Slack call a real Web API call.
"""

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Policy, load_settings
from bot.demo import past_incidents, runbook_targets
from bot.demo.apis import OtherApis
from bot.demo.apis.statuspage import DEMO_KEY, DEMO_PAGE
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import Channel, Message, SlackStandIn, render_channel, render_ephemerals
from bot.domain.durations import format_duration
from bot.domain.runbook_actions import DEFAULT_ACTIONS
from bot.domain.severity import DEFAULT_SEVERITIES
from bot.logging import configure
from bot.store import incidents
from bot.store.db import embedded_database_url

TARGET_DATABASE = "incident_bot_demo_target"
"""Runbook 000's rollout_configuration lives here, next to the bot's own database."""
DEMO_ROUTING_KEY = "demo0routing0key0for0the0on0call"
"""The on-call's PagerDuty integration key in the demo (32 characters, as PagerDuty's are)."""


def _bold(text: str) -> str:
    """Bold on a terminal, plain in a file or pipe and whenever NO_COLOR is set."""
    if sys.stdout.isatty() and load_settings(env_file=None).wants_color:
        return f"\033[1m{text}\033[0m"
    return text


def _say(text: str) -> None:
    print(f"\n{_bold(f'▸ {text}')}", flush=True)


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


async def _later(box: Sandbox, clock: ScriptClock, minutes: int) -> None:
    """Let what was asked so far reach Slack, then move the clock on."""
    await box.settle()
    clock.advance(minutes)


async def _row(target_url: str) -> str:
    row = await runbook_targets.rollout_row(target_url)
    return ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in row.items())


def _card(slack: SlackStandIn, channel: Channel) -> Message | None:
    return next((m for m in slack.messages(channel.id) if "Approval needed" in m.text), None)


async def _kill_switch(box: Sandbox, channel: Channel, target_url: str) -> None:
    """Runbook 000's kill switch: asked for, refused to its requester, approved by someone else."""
    slack = box.slack
    _say(f"bob asks for the kill switch (runbook 000); the row now: {await _row(target_url)}")
    await box.command("kill hybrid_progressive_capture", user="bob", channel=channel.id)
    await slack.wait_for(lambda s: _card(s, channel) is not None)
    card = _card(slack, channel)
    assert card is not None  # noqa: S101 - waited for just above

    _say("bob clicks Approve on his own request: refused")
    await box.sender.click("bob", channel.id, card.ts, "approval.approve")
    await slack.wait_for(lambda s: any("someone else" in e.text for e in s.ephemerals("bob")))
    await _pre_rollback_gate(box, channel, card)

    _say("alice approves: the bot runs it once, verifies it and posts the outcome")
    await box.sender.click("alice", channel.id, card.ts, "approval.approve")
    await slack.wait_for(lambda s: bool(slack.replies(channel.id, card.ts)))
    _say(f"the row after: {await _row(target_url)}")


PRE_ROLLBACK = (
    "Emergency backup created",
    "Rollback target identified",
    "Impact assessed",
    "Stakeholders notified",
)
"""The safety checks of runbook 001's Pre-Rollback Checklist, which the demo's `kill` requires."""


def _checklist(slack: SlackStandIn, channel: Channel) -> Message | None:
    return next(
        (
            m
            for m in slack.messages(channel.id)
            if m.text.removeprefix("[DRILL] ").startswith("Pre-Rollback")
        ),
        None,
    )


async def _pre_rollback_gate(box: Sandbox, channel: Channel, card: Message) -> None:
    """Runbook 001's pre-rollback checks gate the kill: Approve is refused until all are ticked."""
    slack = box.slack
    await slack.wait_for(lambda s: _checklist(s, channel) is not None)
    checklist = _checklist(slack, channel)
    assert checklist is not None  # noqa: S101 - waited for just above
    _say("the kill requires runbook 001's pre-rollback checklist: carol ticks two of its items")
    for item in PRE_ROLLBACK[:2]:
        await box.sender.tick("carol", channel.id, checklist.ts, item)
        await box.settle()

    _say("alice clicks Approve: refused, two items are still open")
    await box.sender.click("alice", channel.id, card.ts, "approval.approve")
    await slack.wait_for(lambda s: any("Still to tick" in e.text for e in s.ephemerals("alice")))

    _say("carol ticks the last two; the checklist and the card show 4/4")
    for item in PRE_ROLLBACK[2:]:
        await box.sender.tick("carol", channel.id, checklist.ts, item)
        await box.settle()


async def _script(box: Sandbox, clock: ScriptClock, target_url: str) -> Channel:
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
        await _later(box, clock, 1)
        said = await box.sender.post_message(person, channel.id, text)
    await box.sender.post_message(
        "alice", channel.id, "Payments are the priority; rollback first", thread_ts=said.ts
    )

    _say("alice makes bob technical lead; bob posts updates")
    await _later(box, clock, 1)
    await box.command(f"assign lead <@{bob}|bob>", user="alice", channel=channel.id)
    await _later(box, clock, 4)
    await box.command(
        "update identified: v2.3.1 broke payment token refresh; rolling back to v2.3.0",
        user="bob",
        channel=channel.id,
    )
    await slack.wait_for(lambda s: any("Update #1" in m.text for m in s.messages(channel.id)))
    await _public_statement(box, channel)
    await _later(box, clock, 3)
    await box.command("status", user="alice", channel=channel.id)
    await slack.wait_for(lambda s: any("Next update due" in e.text for e in s.ephemerals("alice")))
    await _kill_switch(box, channel, target_url)
    await box.command(
        "update monitoring: rolled back; error rate 0.4% and falling",
        user="bob",
        channel=channel.id,
    )
    await slack.wait_for(lambda s: any("Update #2" in m.text for m in s.messages(channel.id)))
    await _later(box, clock, 10)
    await _reminder_and_update_form(box, channel)

    await _take_notes(box, clock, channel)
    _say("alice resolves it; the bot writes the post-mortem from the timeline")
    await _later(box, clock, 6)
    await box.command(
        "resolve Rolled back checkout-api to v2.3.0; error rate back to baseline",
        user="alice",
        channel=channel.id,
    )
    announce = box.services.policy.announce_channel
    await slack.wait_for(lambda s: any("Resolved" in m.text for m in s.messages(announce)))
    await slack.wait_for(lambda s: bool(s.files()))
    return channel


PUBLIC_WORDS = (
    "Some card payments are failing at checkout. We are investigating and will post an update"
    " within 30 minutes."
)


async def _public_statement(box: Sandbox, channel: Channel) -> None:
    """Runbook 000's customer communication: carol words it, alice approves those exact words,
    and only then does Statuspage receive them."""
    _say("carol asks to tell customers on the status page; alice approves the exact words")
    await box.command(
        f"statuspage investigating checkout=partial_outage {PUBLIC_WORDS}",
        user="carol",
        channel=channel.id,
    )
    slack = box.slack

    def card(s: SlackStandIn) -> Message | None:
        return next((m for m in s.messages(channel.id) if "Public statement" in m.text), None)

    await slack.wait_for(lambda s: card(s) is not None)
    posted = card(slack)
    assert posted is not None  # noqa: S101 - waited for just above
    await box.sender.click("alice", channel.id, posted.ts, "approval.approve")
    await slack.wait_for(_posted(channel.id, "Published on the status page"))


def _print_statuspage(apis: OtherApis) -> None:
    """What Statuspage received: each request's method, path and JSON (the key is a header)."""
    lines = [
        f"{r.method} {r.path} → {r.status}\n{json.dumps(r.body, indent=2)}"
        for r in apis.received
        if r.system == "statuspage"
    ]
    print(f"\n{_bold('┌─ what Statuspage received ─')}\n" + "\n".join(lines))


async def _take_notes(box: Sandbox, clock: ScriptClock, channel: Channel) -> None:
    _say("bob and alice note the root cause and an action item for the post-mortem")
    for person, note in (
        ("bob", "root cause: v2.3.1 removed the retry around payment token refresh"),
        ("alice", "action item: canary checkout-api deploys on payment success rate"),
    ):
        await _later(box, clock, 1)
        await box.command(f"note {note}", user=person, channel=channel.id)
        await box.slack.wait_for(_posted(channel.id, note.partition(": ")[2]))


def _reminded(channel_id: str) -> Callable[[SlackStandIn], bool]:
    return lambda slack: any(m.text.startswith(":alarm_clock:") for m in slack.messages(channel_id))


def _posted(channel_id: str, words: str) -> Callable[[SlackStandIn], bool]:
    return lambda slack: any(words in m.text for m in slack.messages(channel_id))


async def _reminder_and_update_form(box: Sandbox, channel: Channel) -> None:
    """Ten quiet minutes (the demo policy's SEV-1 cadence): the reminder, then its update form."""
    _say("ten minutes without an update: the bot reminds the commander")
    await box.services.scheduler.run_due()
    await box.slack.wait_for(_reminded(channel.id))
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


DRILL_TARGETS = {"sev2": {"first_action": "2m", "mitigate": "15m", "resolve": "30m"}}
"""What the drill is measured against (runbook 000's success metrics, scaled to a SEV-2)."""


async def _drill(box: Sandbox, clock: ScriptClock, target_url: str) -> Channel:
    """The second story: a short SEV-2 drill of runbook 000's kill switch, and its report."""
    slack = box.slack
    _say("an hour later the team practises: carol declares a SEV-2 drill")
    await _later(box, clock, 60)
    channel = await box.drill("sev2 Kill switch practice (runbook 000)", user="carol")
    await box.sender.join("bob", channel.id)
    await _later(box, clock, 1)
    await box.sender.post_message("bob", channel.id, "On it: kill switch first, as in 000")

    _say("bob asks for the kill switch without --dry-run; he ticks the pre-rollback checks")
    await box.command("kill hybrid_progressive_capture", user="bob", channel=channel.id)
    await slack.wait_for(lambda s: _card(s, channel) is not None)
    card = _card(slack, channel)
    assert card is not None  # noqa: S101 - waited for just above
    await slack.wait_for(lambda s: _checklist(s, channel) is not None)
    checklist = _checklist(slack, channel)
    assert checklist is not None  # noqa: S101 - waited for just above
    for item in PRE_ROLLBACK:
        await box.sender.tick("bob", channel.id, checklist.ts, item)
        await box.settle()
    _say("carol approves: in a drill the kill switch runs as a dry run")
    await box.sender.click("carol", channel.id, card.ts, "approval.approve")
    await slack.wait_for(lambda s: bool(slack.replies(channel.id, card.ts)))
    _say(f"the row is untouched: {await _row(target_url)}")

    await _later(box, clock, 12)
    await box.command(
        "update mitigating: traffic drained (practice)", user="carol", channel=channel.id
    )
    await slack.wait_for(_posted(channel.id, "Update #1"))
    _say("carol resolves the drill: the bot posts the drill report and writes its post-mortem")
    await _later(box, clock, 8)
    await box.command(
        "resolve Drill complete; kill switch practised", user="carol", channel=channel.id
    )
    await slack.wait_for(_posted(channel.id, "Drill report"))
    await slack.wait_for(lambda s: len(s.files()) >= 2)
    return channel


async def _followups(box: Sandbox, clock: ScriptClock, channel: Channel) -> None:
    """After the incident: its action items as follow-ups, one closed, the rest listed."""
    slack, bob = box.slack, box.slack.resolve_user("bob")
    _say("the next morning bob records a follow-up for himself, due in two weeks")
    await _later(box, clock, 60 * 14)
    await box.command(
        f"followup Add a retry test for payment token refresh <@{bob}|bob> due in 2w",
        user="bob",
        channel=channel.id,
    )
    await slack.wait_for(_posted(channel.id, "Add a retry test for payment token refresh"))
    await box.settle()
    canary = next(
        m for m in slack.messages(channel.id) if "Follow-up:* canary checkout-api" in m.text
    )
    _say("alice's `note action item:` became a follow-up too; she clicks Done on it")
    await box.sender.click("alice", channel.id, canary.ts, "followup.done")
    await box.settle()
    _say("bob asks what he still owes: `/incident followups` (from any channel)")
    await box.command("followups", user="bob", channel=box.services.policy.announce_channel)
    await slack.wait_for(lambda s: any("open follow-ups" in e.text for e in s.ephemerals("bob")))
    said = next(e for e in slack.ephemerals("bob") if "open follow-ups" in e.text)
    print(f"\n{_bold('┌─ only bob sees (ephemeral): /incident followups ─')}\n{said.text}")


def _print_drill(slack: SlackStandIn, channel: Channel) -> None:
    report = next(m for m in slack.messages(channel.id) if "Drill report" in m.text)
    for title, body in (
        (f"#{channel.name}", render_channel(slack, channel.id)),
        ("the drill report", report.text),
    ):
        print(f"\n{_bold(f'┌─ {title} ─')}\n{body}")


def demo_policy(apis: OtherApis | None = None) -> Policy:
    """The default policy with SEV-1 updates due every 10 minutes, so a reminder shows up soon,
    the kill switch gated by runbook 001's pre-rollback safety checks, SEV-2 targets for the
    drill; with `apis`, paging on SEV-1 and SEV-2 and a status page, through those stand-ins."""
    severities = {key: dict(spec) for key, spec in DEFAULT_SEVERITIES.items()}
    severities["sev1"]["update_every"] = "10m"
    kill = {**DEFAULT_ACTIONS["kill"], "requires": ["pre-rollback"]}
    checklists = {"pre-rollback": {"title": "Pre-Rollback Checklist", "items": list(PRE_ROLLBACK)}}
    return Policy.model_validate(
        {
            "severities": severities,
            "actions": {**DEFAULT_ACTIONS, "kill": kill},
            "checklists": checklists,
            "targets": DRILL_TARGETS,
            **(_other_systems(apis) if apis else {}),
        }
    )


def _print_pagerduty(apis: OtherApis) -> None:
    """What PagerDuty received, event by event, the routing key shown only by its length."""
    lines = []
    for received in apis.received:
        if received.system != "pagerduty":
            continue
        body = dict(received.body) if isinstance(received.body, dict) else received.body
        if isinstance(body, dict) and "routing_key" in body:
            body["routing_key"] = "•" * len(str(body["routing_key"]))
        lines.append(f"{received.method} {received.path} → {received.status}")
        lines.append(json.dumps(body, indent=2, ensure_ascii=False))
    title = "what PagerDuty received (Events API v2)"
    print(f"\n{_bold(f'┌─ {title} ─')}\n" + ("\n".join(lines) or "nothing"))


def _other_systems(apis: OtherApis) -> dict[str, object]:
    """The policy's `paging` and `status_page`, pointing at the stand-ins."""
    return {
        "paging": {
            "events_url": f"{apis.url('pagerduty')}/v2/enqueue",
            "page_on": ["sev1", "sev2"],
        },
        "status_page": {
            "api_url": apis.url("statuspage"),
            "page_id": DEMO_PAGE,
            "components": {"checkout": "8kbf7d35c070", "api": "0bvq9kq0l4jm"},
        },
    }


def _print_views(slack: SlackStandIn, channel: Channel, announce: str) -> None:
    postmortem = slack.files()[-1]
    for title, body in (
        (f"#{channel.name}", render_channel(slack, channel.id)),
        (f"#{announce}", render_channel(slack, announce)),
        ("only alice sees (ephemeral)", render_ephemerals(slack, "alice")),
        ("only bob sees (ephemeral)", render_ephemerals(slack, "bob")),
        (f"{postmortem.name} (shared in #{channel.name})", postmortem.content.decode()),
    ):
        print(f"\n{_bold(f'┌─ {title} ─')}\n{body}")


async def _figures(box: Sandbox, clock: ScriptClock) -> Path:
    """Past incidents seeded, then `/incident stats 30d`: its answer printed, and the chart it
    shared written to a file whose path is printed."""
    await past_incidents.seed(box.services.pool, box.services.policy, clock())
    _say("bob: /incident stats 30d  (six past incidents seeded for the figures)")
    before = len(box.slack.files())
    answer = await box.command(
        "stats 30d", user="bob", channel=box.services.policy.announce_channel
    )
    await box.settle()
    blocks = (answer.json or {}).get("blocks") or []
    shown = "\n".join(str(b.get("text", {}).get("text", "")) for b in blocks if "text" in b)
    print(f"\n{_bold('┌─ only bob sees (the answer to /incident stats 30d) ─')}\n{shown}")
    chart = box.slack.files()[before]
    path = Path(tempfile.gettempdir()) / chart.name
    path.write_bytes(chart.content)
    print(f"\n✔ the chart shared in #{box.services.policy.announce_channel}: {path}")
    return path


def _data_dir() -> Path:
    """Where the embedded PostgreSQL lives: `DATA_DIR`, as the bot itself would read it."""
    return load_settings(env_file=None).data_dir


async def run_demo(*, quiet_logs: bool = True) -> int:
    configure(
        "console",
        "WARNING" if quiet_logs else "INFO",
        colors=load_settings(env_file=None).wants_color,
    )
    database_url = os.environ.get("DATABASE_URL") or embedded_database_url(_data_dir())
    target_url = await runbook_targets.create_database(database_url, TARGET_DATABASE)
    await runbook_targets.reset(target_url)
    clock = ScriptClock()
    slack = SlackStandIn(now=clock.timestamp)
    environ = {
        "ROLLOUT_DATABASE_URL": target_url,
        "PAGERDUTY_ROUTING_KEY": DEMO_ROUTING_KEY,
        "STATUSPAGE_API_KEY": DEMO_KEY,
    }
    async with (
        OtherApis(monotonic=clock.timestamp) as apis,
        sandbox(
            database_url=database_url,
            policy=demo_policy(apis),
            clock=clock,
            slack=slack,
            environ=environ,
            apis=apis,
        ) as box,
    ):
        channel = await _script(box, clock, target_url)
        await box.slack.drain()
        await box.settle()
        _print_views(box.slack, channel, box.services.policy.announce_channel)
        _print_pagerduty(box.apis)
        _print_statuspage(box.apis)
        practice = await _drill(box, clock, target_url)
        await box.slack.drain()
        _print_drill(box.slack, practice)
        await _followups(box, clock, channel)
        await _figures(box, clock)
        async with box.services.pool.acquire() as conn:
            incident = await incidents.by_channel(conn, channel.id)
            drill = await incidents.by_channel(conn, practice.id)
    if incident is None or incident.is_open or drill is None or drill.is_open:
        print("\ndemo failed: the incident or the drill was not resolved", file=sys.stderr)
        return 1
    print(
        f"\n✔ {incident.channel_name}: declared, {incident.update_count} updates, resolved after "
        f"{format_duration(incident.age(clock()))}; every step stored in PostgreSQL, "
        f"post-mortem shared (`incident-bot postmortem {incident.channel_name}` prints it again)"
        f"\n✔ {drill.channel_name}: a drill, its kill switch a dry run, its report posted"
    )
    return 0
