"""An alert storm against a running bot, with the Slack stand-in enforcing Web API rate limits.

Starts an embedded PostgreSQL (or uses DATABASE_URL; it should be an empty database), the Slack
stand-in in this process with per-method budgets (chat.postMessage 60/min, tier-2 methods
20/min, …), and `incident-bot serve` as a separate process with a policy that declares SEV-1
for `severity=critical`. Sends `--alerts` Alertmanager webhooks (one alert each, all distinct)
over `--seconds`, spread round-robin over `--groups` groupKeys, then waits (bounded) until
every alert is shown in Slack: in an incident's first message or counted in a digest.

Prints incidents created, alerts stored, Slack calls and 429s, the time until the last message
landed, webhook answer latency and the bot's RSS.

    .venv/bin/python -m bench.alert_storm [--alerts 1000] [--seconds 10] [--groups 10]
"""

import argparse
import asyncio
import os
import re
import secrets
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg

from bench.harness import free_port, memory_mib, running_bot
from bot.demo.standin import SlackStandIn
from bot.store.db import start_embedded

TOKEN = "storm-token"  # noqa: S105 - a fake credential for a local run
POLICY = "alerts:\n  routes:\n    - {match: {severity: critical}, declare: sev1}\n"
TIER_2, TIER_3, TIER_4 = 20, 50, 100
DIGEST = re.compile(r":bell: \*(\d+) alerts? attached\*")


def rate_limits(post_per_minute: int) -> dict[str, int]:
    """Per-method budgets per minute, after Slack's tiers (chat.postMessage is special)."""
    return {
        "chat.postMessage": post_per_minute,
        "conversations.create": TIER_2,
        "conversations.setTopic": TIER_2,
        "pins.add": TIER_2,
        "conversations.invite": TIER_3,
        "chat.update": TIER_3,
        "chat.postEphemeral": TIER_4,
        "users.info": TIER_4,
    }


def alerts_shown(slack: SlackStandIn) -> int:
    """Alerts visible in Slack: one per incident's first message, plus each digest's count."""
    incidents = [c for c in slack.channels.values() if c.name.startswith("incident-") and c.pins]
    shown = len(incidents)
    for channel in incidents:
        for message in slack.messages(channel.id):
            found = DIGEST.search(message.text)
            shown += int(found.group(1)) if found else 0
    return shown


def webhook(n: int, groups: int) -> dict[str, object]:
    group = n % groups
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="StormGroup{group}"}}',
        "status": "firing",
        "receiver": "incident-bot",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": f"StormGroup{group}",
                    "severity": "critical",
                    "pod": f"p{n}",
                },
                "annotations": {"summary": f"Storm group {group}: pod p{n} failing"},
                "startsAt": "2026-11-24T09:00:00Z",
                "fingerprint": f"{group:02d}{n:06d}",
            }
        ],
    }


async def storm(url: str, count: int, seconds: float, groups: int) -> list[float]:
    """Send `count` webhooks at an even pace (open loop); return each answer's latency in ms."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(n: int) -> None:
            started = time.perf_counter()
            async with http.post(
                f"{url}/alerts/alertmanager",
                json=webhook(n, groups),
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as answer:
                if answer.status != 202:
                    raise SystemExit(f"alert {n}: {answer.status} {await answer.text()}")
            latencies.append((time.perf_counter() - started) * 1000)

        begin = time.perf_counter()
        tasks = []
        for n in range(count):
            await asyncio.sleep(max(0.0, begin + n * seconds / count - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies


async def database_counts(url: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM alerts),
                      (SELECT count(*) FROM alerts WHERE posted_at IS NULL)"""
        )
    finally:
        await conn.close()
    return row[0], row[1], row[2]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        policy = Path(scratch) / "policy.yml"
        policy.write_text(POLICY)
        port = args.port or free_port()
        async with SlackStandIn(
            emit_bot_message_events=False,
            rate_limits=rate_limits(args.post_per_minute),
            signing_secret=secrets.token_hex(16),  # only this run's requests reach this bot
        ) as slack:
            slack.add_channel("incidents", members=["incident-bot"])
            async with running_bot(
                slack,
                database_url,
                port,
                env={"INCIDENT_BOT_CONFIG": str(policy), "ALERT_WEBHOOK_TOKEN": TOKEN},
            ) as bot:
                rss_before, _ = memory_mib(bot.pid)
                started = time.perf_counter()
                latencies = await storm(
                    f"http://127.0.0.1:{port}", args.alerts, args.seconds, args.groups
                )
                sent = time.perf_counter() - started
                await slack.wait_for(lambda s: alerts_shown(s) >= args.alerts, timeout=args.timeout)
                landed = time.perf_counter() - started
                rss_after, rss_peak = memory_mib(bot.pid)
                counts = await database_counts(database_url)
    print(
        f"alerts: {args.alerts} over {args.seconds:g} s in {args.groups} groups (sent in {sent:.1f} s)"
    )
    print(f"stand-in limits per minute: {rate_limits(args.post_per_minute)}")
    report(slack, counts, latencies, landed)
    print(f"bot RSS MiB: {rss_before:.0f} before, {rss_after:.0f} after, {rss_peak:.0f} peak")


def report(
    slack: SlackStandIn, counts: tuple[int, int, int], latencies: list[float], landed: float
) -> None:
    incidents, stored, unposted = counts
    calls = Counter(c.method for c in slack.calls)
    limited = Counter(c.method for c in slack.calls if c.status == 429)
    digests = sum(
        1
        for c in slack.channels.values()
        if c.name.startswith("incident-")
        for m in slack.messages(c.id)
        if DIGEST.search(m.text)
    )
    ordered = sorted(latencies)
    print(f"incidents created: {incidents}")
    print(
        f"alerts stored: {stored}; shown in Slack: {alerts_shown(slack)}; never posted: {unposted}"
    )
    print(f"digest replies: {digests}")
    print(f"Slack calls: {sum(calls.values())} ({dict(calls)})")
    print(f"429s received: {sum(limited.values())} ({dict(limited)})")
    print(f"time until the last message landed: {landed:.1f} s after the first alert")
    print(
        f"webhook answer ms: p50 {ordered[len(ordered) // 2]:.1f}  "
        f"p99 {ordered[int(len(ordered) * 0.99)]:.1f}  max {ordered[-1]:.1f}  "
        f"mean {statistics.fmean(ordered):.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--post-per-minute", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--port", type=int, default=0, help="the bot's port (default: a free one)")
    asyncio.run(main(parser.parse_args()))
