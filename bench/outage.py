"""Slack down for a minute while incidents are declared, updated and reminded: what is lost.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it, with the default policy except that
SEV-1 updates are due every `--cadence` seconds and there are no escalation steps. First, with
Slack up, `--incidents` SEV-1 incidents are declared and set up ("updated" group). Then Slack
goes down for `--outage` seconds (`standin.outage`, `--mode http_503` or `refused`), and at once
`--incidents` more SEV-1 incidents are declared ("declared" group) and each incident of the
first group gets `/incident update` from its channel; its reminders then come due during the
outage. Every command is a signed slash command, each incident's by a person of its own.

Once Slack is back the run waits (at most `--settle` s) until everything expected is in Slack,
then `--linger` s more for late duplicates, and prints: the time from Slack's return to the
last expected effect's arrival at the stand-in (aim < 10 s), what is missing, what came twice,
effects given up, and the deliveries retried (the bot's `/metrics`). Expected, after the outage:
- each declared incident: exactly one channel of its reserved name, its first message once,
  that message pinned, a topic, the declarer invited, the announcement in #incidents once, and
  through the declarer's response_url one "Slack is not answering" notice and one "Declared"
  reply. Its reminders that came due while it had no channel are deferred (0 posts, at most 1);
- each updated incident: Update #1 posted once, one "Slack is not answering" notice to the
  person who sent it, and exactly one reminder for all the ones that came due in the outage
  (the reminder's buttons carry the key of the job that posted it).
A message carrying the same outbox effect id twice also counts as duplicated, and so does a
reminder job key posted twice or an incident channel no incident owns.

    .venv/bin/python -m bench.outage [--incidents 10] [--outage 60] [--mode http_503|refused]
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import CallTimes, serve_bot
from bot.demo.standin import Message, SlackSender, SlackStandIn
from bot.demo.standin.records import OutageMode
from bot.demo.standin.state import BOT_USER_ID
from bot.domain.severity import DEFAULT_SEVERITIES
from bot.slack.gateway import MARK_EVENT
from bot.store.db import Pool, create_pool, start_embedded

ANNOUNCE = "incidents"
SLOW = "Slack is not answering"
IN_CHANNEL = ("first message", "pin", "topic", "declarer invited", "announcement")


def policy(cadence: int) -> dict[str, object]:
    """The default severities, SEV-1 updates every `cadence` s; no escalation to blur counts."""
    severities = {key: dict(spec) for key, spec in DEFAULT_SEVERITIES.items()}
    severities["sev1"]["update_every"] = f"{cadence}s"
    return {"announce_channel": ANNOUNCE, "severities": severities, "escalation": []}


@dataclass(frozen=True)
class Ledger:
    """What the bot's database says: its incidents, its effects' purposes, its reminder jobs."""

    incidents: dict[str, dict[str, Any]]  # by title
    about: dict[int, str]  # outbox effect id → what it was for
    reminder_due: dict[str, float]  # job key → due (unix seconds)
    waiting: int
    given_up: int


async def read_ledger(pool: Pool) -> Ledger:
    async with pool.acquire() as conn:
        incidents = await conn.fetch(
            "SELECT id, title, channel_name, channel_id, declared_by FROM incidents"
        )
        effects = await conn.fetch("SELECT id, about, state FROM outbox")
        jobs = await conn.fetch("SELECT key, due_at FROM jobs WHERE kind = 'reminder'")
    states = Counter(e["state"] for e in effects)
    return Ledger(
        {r["title"]: dict(r) for r in incidents},
        {e["id"]: e["about"] for e in effects},
        {j["key"]: j["due_at"].timestamp() for j in jobs},
        states["pending"] + states["running"],
        states["failed"],
    )


@dataclass
class Assessment:
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    extra: Counter[str] = field(default_factory=Counter)

    def item(self, what: str, times: list[float], *, once: bool = True, lo: int = 1) -> None:
        """An expected effect, seen at `times`: missing below `lo`, duplicated if more than one."""
        if len(times) < lo:
            self.missing.append(what)
        if once and len(times) > 1:
            self.duplicated.append(f"{what} ×{len(times)}")
        self.arrived.extend(times[:1])


def effect_of(message: Message) -> int | None:
    meta = message.metadata or {}
    if meta.get("event_type") != MARK_EVENT:
        return None
    return int((meta.get("event_payload") or {}).get("effect", 0)) or None


def posts(slack: SlackStandIn, ledger: Ledger, channel: str, about: str) -> list[Message]:
    return [
        m
        for m in slack.messages(channel, include_system=False)
        if (effect := effect_of(m)) is not None and ledger.about.get(effect) == about
    ]


def reminder_keys(message: Message) -> list[str]:
    return [
        str(b["block_id"])
        for b in message.blocks
        if b.get("type") == "actions" and str(b.get("block_id", "")).startswith("reminder:")
    ]


@dataclass(frozen=True)
class Run:
    """The run's cast and clock: who declared what, and when Slack was down (unix seconds)."""

    declared: dict[str, str]  # title → person, declared during the outage
    updated: dict[str, str]  # title → person, declared before, updated during the outage
    down: float
    back: float


def check_declared(
    slack: SlackStandIn, ledger: Ledger, calls: CallTimes, run: Run, found: Assessment
) -> None:
    for title, person in run.declared.items():
        told = [e for e in slack.ephemerals(person) if e.via == "response_url"]
        found.item(f"{title}: {SLOW!r} notice", [float(e.ts) for e in told if SLOW in e.text])
        replies = [float(e.ts) for e in told if "Declared" in e.text]
        found.item(f"{title}: 'Declared' reply", replies)
        row = ledger.incidents.get(title)
        if row is None:
            found.missing.append(f"{title}: the incident itself (not in the database)")
            continue
        name, channel_id = row["channel_name"], row["channel_id"]
        found.item(f"{title}: channel #{name}", calls.ok("conversations.create", name=name))
        if channel_id is None or slack.channel(channel_id) is None:
            found.missing.extend(f"{title}: {what} (no channel)" for what in IN_CHANNEL)
            continue
        check_channel(slack, ledger, calls, (title, person, name, channel_id), found)
        check_reminders(slack, ledger, channel_id, title, run, found, lo=0)


def check_channel(
    slack: SlackStandIn,
    ledger: Ledger,
    calls: CallTimes,
    incident: tuple[str, str, str, str],
    found: Assessment,
) -> None:
    """A declared incident's channel: first message once and pinned, topic, declarer invited,
    announced once in #incidents."""
    title, person, name, channel_id = incident
    channel = slack.channels[channel_id]
    first = [
        *posts(slack, ledger, channel_id, f"create #{name}"),  # posted by the creation
        *posts(slack, ledger, channel_id, f"post the first message in #{name}"),
    ]
    found.item(f"{title}: first message", [float(m.ts) for m in first])
    pinned = first and first[0].ts in channel.pins
    found.item(f"{title}: pin", calls.ok("pins.add", channel=channel_id)[:1] if pinned else [])
    topic = calls.ok("conversations.setTopic", channel=channel_id)
    found.item(f"{title}: topic", topic[:1] if channel.topic else [])
    invited = slack.resolve_user(person) in channel.members
    invites = calls.ok("conversations.invite", channel=channel_id)
    found.item(f"{title}: declarer invited", invites[:1] if invited else [])
    announced = posts(slack, ledger, ANNOUNCE, f"announce #{name} in #{ANNOUNCE}")
    found.item(f"{title}: announcement", [float(m.ts) for m in announced])


def check_updated(slack: SlackStandIn, ledger: Ledger, run: Run, found: Assessment) -> None:
    for title, person in run.updated.items():
        channel_id = ledger.incidents[title]["channel_id"]
        update = posts(slack, ledger, channel_id, "post Update #1")
        found.item(f"{title}: Update #1", [float(m.ts) for m in update])
        told = [
            float(e.ts)
            for e in slack.ephemerals(person)
            if e.via == "response_url" and SLOW in e.text and float(e.ts) >= run.down
        ]
        found.item(f"{title}: {SLOW!r} notice about its update", told)
        check_reminders(slack, ledger, channel_id, title, run, found, lo=1)


def check_reminders(
    slack: SlackStandIn,
    ledger: Ledger,
    channel_id: str,
    title: str,
    run: Run,
    found: Assessment,
    *,
    lo: int,
) -> None:
    """One reminder for all the ones due during the outage; no job key posted twice; the
    reminders due after Slack's return (the cadence resuming) are counted apart."""
    by_key: dict[str, list[float]] = {}
    for message in slack.messages(channel_id, include_system=False):
        for key in reminder_keys(message):
            by_key.setdefault(key, []).append(float(message.ts))
    during: list[float] = []
    for key, times in by_key.items():
        due = ledger.reminder_due.get(key, 0.0)
        if len(times) > 1:
            found.duplicated.append(f"{title}: reminder {key} ×{len(times)}")
        if run.down <= due < run.back:
            during.extend(times[:1])
        elif due >= run.back:
            found.extra["reminders due after Slack's return"] += 1
    found.item(f"{title}: one reminder for those due in the outage", sorted(during), lo=lo)


def check_everywhere(slack: SlackStandIn, ledger: Ledger, found: Assessment) -> None:
    """The same outbox effect posted twice anywhere; incident channels nobody owns."""
    marks: Counter[int] = Counter()
    for channel in slack.channels.values():
        for message in slack.messages(channel.id, include_system=False):
            effect = effect_of(message)
            if effect is not None:
                marks[effect] += 1
            elif message.user == BOT_USER_ID:
                found.extra["bot posts without an effect id"] += 1
    for effect, count in marks.items():
        if count > 1:
            found.duplicated.append(f"effect {effect} ({ledger.about.get(effect)}) ×{count}")
    owned = {row["channel_id"] for row in ledger.incidents.values()}
    for channel in slack.channels.values():
        if channel.name.startswith("incident-") and channel.id not in owned:
            found.duplicated.append(f"#{channel.name}: a channel no incident owns")


async def assess(
    slack: SlackStandIn, pool: Pool, calls: CallTimes, run: Run
) -> tuple[Assessment, Ledger]:
    ledger = await read_ledger(pool)
    found = Assessment()
    check_declared(slack, ledger, calls, run, found)
    check_updated(slack, ledger, run, found)
    check_everywhere(slack, ledger, found)
    return found, ledger


async def retries(port: int) -> Counter[str]:
    """Outbox deliveries by outcome, from the bot's /metrics (`retried` by method too)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        text = await response.text()
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != "incident_bot_deliveries":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                outcome, method = sample.labels["outcome"], sample.labels["method"]
                counts[outcome] += int(sample.value)
                if outcome == "retried":
                    counts[f"retried {method}"] += int(sample.value)
    return counts


async def declare_updated_group(slack: SlackStandIn, sender: SlackSender, count: int) -> Run:
    """With Slack up: declare the incidents that will be updated during the outage."""
    updated = {f"Updated in the outage {n}": f"updater{n}" for n in range(count)}
    for title, person in updated.items():
        result = await sender.slash(f"declare sev1 {title}", user=person, channel=ANNOUNCE)
        if result.status != 200:
            raise SystemExit(f"declare failed with Slack up: {result.status}")
    await slack.wait_for(
        lambda s: sum(bool(c.pins) for c in s.channels.values()) >= count, timeout=60
    )
    declared = {f"Declared in the outage {n}": f"declarer{n}" for n in range(count)}
    return Run(declared, updated, 0.0, 0.0)


async def during_outage(
    slack: SlackStandIn, pool: Pool, run: Run, seconds: float, mode: OutageMode
) -> tuple[Run, list[int | None]]:
    """Take Slack down; declare the second group and update the first, all at once."""
    async with pool.acquire() as conn:
        channels = {
            r["title"]: r["channel_id"] for r in await conn.fetch("SELECT * FROM incidents")
        }
    sender = SlackSender(slack)
    down = time.time()
    slack.outage(seconds, mode)
    commands = [
        sender.slash(f"declare sev1 {title}", user=person, channel=ANNOUNCE)
        for title, person in run.declared.items()
    ] + [
        sender.slash(
            f"update investigating: still looking ({title})", user=person, channel=channels[title]
        )
        for title, person in run.updated.items()
    ]
    results = await asyncio.gather(*commands)
    timed = Run(run.declared, run.updated, down, down + seconds)
    return timed, [r.status for r in results]


async def until_whole(
    slack: SlackStandIn, pool: Pool, calls: CallTimes, run: Run, settle: float
) -> Assessment:
    """Check four times a second, from Slack's return, until nothing expected is missing."""
    await asyncio.sleep(max(0.0, run.back - time.time()))
    deadline = time.monotonic() + settle
    while True:
        found, _ = await assess(slack, pool, calls, run)
        if not found.missing or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.25)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        policy_file = Path(scratch) / "policy.yml"
        policy_file.write_text(yaml.safe_dump(policy(args.cadence)))
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            people = [
                f"{role}{n}" for role in ("updater", "declarer") for n in range(args.incidents)
            ]
            for person in people:
                slack.add_user(person)
            slack.add_channel(ANNOUNCE, members=[*people, "incident-bot"])
            calls = CallTimes(slack)
            stamping = asyncio.create_task(calls.run(args.outage + args.settle + 600))
            env = {"INCIDENT_BOT_CONFIG": str(policy_file), "LOG_LEVEL": "ERROR"}
            bot = await serve_bot(slack, database_url, args.port, env=env)
            pool = await create_pool(database_url, min_size=1, max_size=2)
            try:
                run = await declare_updated_group(slack, SlackSender(slack), args.incidents)
                run, acks = await during_outage(slack, pool, run, args.outage, args.mode)
                whole = await until_whole(slack, pool, calls, run, args.settle)
                await asyncio.sleep(args.linger)
                found, ledger = await assess(slack, pool, calls, run)
                delivered = await retries(args.port)
            finally:
                stamping.cancel()
                await pool.close()
                bot.terminate()
                await bot.wait()
    show(args, run, acks, whole, found, ledger, delivered)


def show(
    args: argparse.Namespace,
    run: Run,
    acks: list[int | None],
    whole: Assessment,
    found: Assessment,
    ledger: Ledger,
    delivered: Counter[str],
) -> None:
    print(
        f"Slack down {args.outage:.0f} s ({args.mode}); SEV-1 updates every {args.cadence} s; "
        f"{len(run.declared)} incidents declared and {len(run.updated)} updated during it"
    )
    print(f"commands acked 200 during the outage: {acks.count(200)} of {len(acks)}")
    if whole.missing:
        print(f"NOT whole {args.settle:.0f} s after Slack's return")
    else:
        after = sorted(at - run.back for at in whole.arrived)
        print(
            f"Slack's return → last expected effect delivered: {after[-1]:.1f} s "
            f"({len(after)} effects; half of them in {after[len(after) // 2]:.1f} s)"
        )
    print(f"effects lost (missing {args.linger:.0f} s later): {len(found.missing)}")
    for what in found.missing:
        print(f"  missing: {what}")
    print(f"effects duplicated: {len(found.duplicated)}")
    for what in found.duplicated:
        print(f"  twice: {what}")
    retried = {k: v for k, v in delivered.items() if k.startswith("retried ")}
    print(
        f"outbox deliveries: {delivered['delivered']} delivered, {delivered['retried']} retried "
        f"({', '.join(f'{k[8:]} {v}' for k, v in sorted(retried.items()))}), "
        f"{delivered['given_up']} given up; still waiting {ledger.waiting}, "
        f"failed rows {ledger.given_up}"
    )
    for what, count in sorted(found.extra.items()):
        print(f"{what}: {count}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds Slack is down")
    parser.add_argument("--mode", choices=["http_503", "refused"], default="http_503")
    parser.add_argument("--cadence", type=int, default=20, help="SEV-1 update_every, seconds")
    parser.add_argument("--settle", type=float, default=120.0, help="at most, after the return")
    parser.add_argument("--linger", type=float, default=5.0, help="then watch for duplicates")
    parser.add_argument("--port", type=int, default=3925)
    asyncio.run(main(parser.parse_args()))
