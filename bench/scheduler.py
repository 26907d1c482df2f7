"""Reminder lateness and duplicates with two replicas on one database, on the real clock.

Starts an embedded PostgreSQL (or uses DATABASE_URL) and the Slack stand-in in this process,
then two `incident-bot serve` processes on that database. Their policy is the runbooks' with
every duration compressed: `--minute 2` makes a policy minute two seconds (SEV-1 updates every
30 s, SEV-2 60 s, SEV-3 2 min, SEV-4 8 min; escalation after 60 s, and 120 s for SEV-1).
It declares `--incidents` incidents (a quarter per severity, spread over 30 policy minutes so
the load ramps up instead of arriving as a wall) through the bot's own store and
`reminders.arm`, lets the replicas run for `--seconds`, stops them and prints: how late
reminders were posted (stand-in receive time − job due time), duplicates per reminder key and
per escalation step (must be 0), reminders due but never posted, and CPU seconds and RSS.

    .venv/bin/python -m bench.scheduler [--incidents 10000] [--minute 2] [--seconds 150]
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bench.harness import cpu_seconds, percentile, rss_mib, serve_bot
from bot.config import Policy
from bot.demo.standin import SlackStandIn
from bot.domain.severity import DEFAULT_SEVERITIES
from bot.policy.reading import load_policy
from bot.services import reminders
from bot.store import incidents
from bot.store.db import Pool, create_pool, start_embedded
from bot.store.migrate import migrate

SEVERITIES = tuple(DEFAULT_SEVERITIES)
RUNBOOK_MINUTES = {"15m": 15, "30m": 30, "1h": 60, "4h": 240, "24h": 1440}
SPREAD_MINUTES = 30


def compressed_policy(minute: float) -> dict[str, object]:
    """The default policy with every duration scaled: one policy minute lasts `minute` seconds."""

    def scaled(text: str) -> str:
        return f"{max(1, round(RUNBOOK_MINUTES[text] * minute))}s"

    return {
        "announce_channel": "incidents",
        "severities": {
            key: {
                **spec,
                "respond_within": scaled(str(spec["respond_within"])),
                "update_every": scaled(str(spec["update_every"])),
            }
            for key, spec in DEFAULT_SEVERITIES.items()
        },
        "escalation": [
            {"after": scaled("30m"), "notify": ["<!subteam^S0ENGMGRS>"]},
            {"after": scaled("1h"), "severities": ["sev1"], "notify": ["<@U0VPENG>"]},
        ],
    }


@dataclass
class Figures:
    reminders: int
    escalations: int
    lateness_ms: list[float]
    duplicate_reminders: int
    duplicate_escalations: int
    expected: int
    missed: int
    cpu: list[float]
    rss: list[float]
    setup: float
    by_second: dict[int, list[float]]


async def open_incidents(
    pool: Pool, slack: SlackStandIn, policy: Policy, count: int, t0: datetime, minute: float
) -> None:
    """Declare `count` incidents over 30 policy minutes, so that nothing falls due before t0."""
    commander = slack.resolve_user("alice")
    first_due = 15 * minute  # SEV-1's first reminder and respond_within, the earliest jobs
    gate = asyncio.Semaphore(8)

    async def one(n: int) -> None:
        channel = slack.add_channel(f"incident-bench-{n:05d}", members=["alice", "incident-bot"])
        offset = random.uniform(0, SPREAD_MINUTES * minute) - first_due
        declared = t0 + timedelta(seconds=offset)
        async with gate, pool.acquire() as conn, conn.transaction():
            incident = await incidents.insert(
                conn,
                channel_id=channel.id,
                channel_name=channel.name,
                title=f"Benchmark incident {n}",
                severity=SEVERITIES[n % len(SEVERITIES)],
                declared_by=commander,
                declared_at=declared,
                commander=commander,
            )
            await reminders.arm(conn, incident, policy, declared)

    await asyncio.gather(*(one(n) for n in range(count)))


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on the machine (only ours, on a quiet one)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "(postgres)" in stat.read_text():
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return total


async def sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def due_times(pool: Pool) -> dict[str, datetime]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT key, due_at FROM jobs WHERE kind = 'reminder'")
    return {r["key"]: r["due_at"] for r in rows}


def count_posts(
    slack: SlackStandIn, due: dict[str, datetime], window: tuple[datetime, datetime]
) -> dict[str, object]:
    """Reminders by their job key (the buttons' block_id), escalations by channel and step."""
    posts: Counter[str] = Counter()
    escalations: Counter[tuple[str, str]] = Counter()
    lateness: list[float] = []
    by_second: dict[int, list[float]] = {}
    for channel in slack.channels.values():
        if not channel.name.startswith("incident-bench-"):
            continue
        for message in slack.messages(channel.id, include_system=False):
            if message.text.startswith(":rotating_light: *Escalation*"):
                escalations[(channel.id, message.text.split(" is unresolved after ")[1])] += 1
            for key in (b["block_id"] for b in message.blocks if b.get("type") == "actions"):
                posts[key] += 1
                if posts[key] == 1 and window[0] <= due[key] <= window[1]:
                    lateness.append((float(message.ts) - due[key].timestamp()) * 1000)
                    second = int((due[key] - window[0]).total_seconds()) // 10 * 10
                    by_second.setdefault(second, []).append(lateness[-1])
    expected = [key for key, at in due.items() if window[0] <= at <= window[1]]
    return {
        "reminders": len(lateness),
        "escalations": sum(escalations.values()),
        "lateness_ms": sorted(lateness),
        "duplicate_reminders": sum(n - 1 for n in posts.values()),
        "duplicate_escalations": sum(n - 1 for n in escalations.values()),
        "expected": len(expected),
        "missed": sum(1 for key in expected if key not in posts),
        "by_second": by_second,
    }


async def run(count: int, minute: float, seconds: float, lead: float, ports: list[int]) -> Figures:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        policy_file = Path(scratch) / "policy.yml"
        policy_file.write_text(yaml.safe_dump(compressed_policy(minute)))
        policy = load_policy(policy_file)
        pool = await create_pool(database_url, min_size=2, max_size=8)
        async with pool.acquire() as conn:
            await migrate(conn)
            await conn.execute("TRUNCATE incidents, timeline_entries, jobs, handled_keys CASCADE")
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            slack.add_user("alice")
            slack.add_channel("incidents", members=["alice", "incident-bot"])
            t0 = datetime.now(UTC) + timedelta(seconds=lead)
            started = time.perf_counter()
            await open_incidents(pool, slack, policy, count, t0, minute)
            setup = time.perf_counter() - started
            replicas = await asyncio.gather(
                *(
                    serve_bot(
                        slack, database_url, port, env={"INCIDENT_BOT_CONFIG": str(policy_file)}
                    )
                    for port in ports
                )
            )
            try:
                if datetime.now(UTC) > t0:
                    raise SystemExit(
                        f"setup took {setup:.1f} s, past the first due job: raise --lead"
                    )
                await sleep_until(t0)
                before = [cpu_seconds(r.pid) for r in replicas]
                before += [time.process_time(), postgres_cpu()]
                end = t0 + timedelta(seconds=seconds)
                await sleep_until(end)
                after = [cpu_seconds(r.pid) for r in replicas]
                after += [time.process_time(), postgres_cpu()]
                rss = [rss_mib(r.pid) for r in replicas]
            finally:
                for replica in replicas:
                    replica.terminate()
                    await replica.wait()
            await slack.drain()
            window = (t0, end - timedelta(seconds=2))  # due in time to be seen before the end
            posts = count_posts(slack, await due_times(pool), window)
        await pool.close()
    cpu = [a - b for a, b in zip(after, before, strict=True)]
    return Figures(**posts, cpu=cpu, rss=rss, setup=setup)  # type: ignore[arg-type]


def show(figures: Figures, count: int, minute: float, seconds: float) -> None:
    policy = compressed_policy(minute)["severities"]
    assert isinstance(policy, dict)
    cadences = ", ".join(f"{k} {v['update_every']}" for k, v in policy.items())
    late = figures.lateness_ms
    print(f"incidents: {count} (a quarter per severity), declared in {figures.setup:.1f} s")
    print(f"policy minute = {minute:g} s: updates every {cadences}; 2 replicas, {seconds:.0f} s")
    print(
        f"reminders due and posted: {figures.reminders} ({figures.reminders / seconds:.0f}/s); "
        f"escalation posts: {figures.escalations}"
    )
    print(
        f"reminder lateness ms (posted − due): p50 {percentile(late, 0.5):.0f}  "
        f"p99 {percentile(late, 0.99):.0f}  max {max(late):.0f}"
    )
    print(
        f"duplicates: reminders {figures.duplicate_reminders}, escalations "
        f"{figures.duplicate_escalations}; not yet posted at the end: {figures.missed} of "
        f"{figures.expected} due"
    )
    for n, (cpu, mib) in enumerate(zip(figures.cpu, figures.rss, strict=False), start=1):
        print(f"replica {n}: CPU {cpu:.1f} s ({cpu / seconds:.0%} of a core), RSS {mib:.0f} MiB")
    if os.environ.get("BENCH_TIMELINE"):
        for second, values in sorted(figures.by_second.items()):
            values.sort()
            print(
                f"  due t0+{second:3d}s: {len(values):5d} reminders, p99 {percentile(values, 0.99):.0f} ms"
            )
    stand_in, postgres = figures.cpu[-2:]
    print(f"Slack stand-in + this script: CPU {stand_in:.1f} s; PostgreSQL: CPU {postgres:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--minute", type=float, default=2.0, help="seconds per policy minute")
    parser.add_argument("--seconds", type=float, default=150.0, help="how long to measure")
    parser.add_argument("--lead", type=float, default=40.0, help="seconds of set-up before t0")
    parser.add_argument("--ports", type=int, nargs=2, default=[3921, 3922])
    args = parser.parse_args()
    figures = asyncio.run(run(args.incidents, args.minute, args.seconds, args.lead, args.ports))
    show(figures, args.incidents, args.minute, args.seconds)
