"""Time from the Approve click to the outcome posted, with the target database on loopback.

Starts an embedded PostgreSQL (or uses DATABASE_URL) holding both the bot's database and a
target database with runbook 000's `rollout_configuration`; runs the Slack stand-in in this
process and `incident-bot serve` as a separate process, its `ROLLOUT_DATABASE_URL` pointing at
the target. Declares one incident, then `--requests` times: alice types `/incident kill`, and
once the card is up bob clicks Approve (a signed block_actions request); the clock stops when
the outcome reply appears in the card's thread. Prints p50/p99/max of that, and of the bot's
own measure of the SQL execution (statement + commit + verify).

    .venv/bin/python -m bench.approvals [--requests 200]

Approvals run one after another: the figure is one click's latency, not throughput.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.harness import free_port, percentile, running_bot
from bot.demo import runbook_targets
from bot.demo.standin import Channel, Message, SlackSender, SlackStandIn
from bot.store.db import start_embedded


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {percentile(values, 0.5):.1f}  p99 {percentile(values, 0.99):.1f}  "
        f"max {max(values):.1f}  mean {statistics.fmean(values):.1f}"
    )


def cards(slack: SlackStandIn, channel: Channel) -> list[Message]:
    return [m for m in slack.messages(channel.id) if "Approval needed" in m.text]


async def one_approval(slack: SlackStandIn, sender: SlackSender, channel: Channel) -> float:
    """Request a kill, wait for its card, approve it; ms from the click to the outcome reply."""
    seen = {m.ts for m in cards(slack, channel)}
    await sender.slash("kill", user="alice", channel=channel.id)
    await slack.wait_for(lambda s: any(m.ts not in seen for m in cards(s, channel)), timeout=10)
    card = next(m for m in cards(slack, channel) if m.ts not in seen)
    started = time.perf_counter()
    result = await sender.click("bob", channel.id, card.ts, "approval.approve")
    if result.status != 200:
        raise SystemExit(f"click failed: {result.status} {result.body_text[:200]}")
    await slack.wait_for(lambda s: bool(s.replies(channel.id, card.ts)), timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    if "Succeeded" not in slack.replies(channel.id, card.ts)[0].text:
        raise SystemExit(
            f"the action did not succeed: {slack.replies(channel.id, card.ts)[0].text}"
        )
    return elapsed


async def declare(slack: SlackStandIn, sender: SlackSender) -> Channel:
    await sender.slash("declare sev1 Benchmark incident", user="alice", channel="incidents")
    await slack.wait_for(
        lambda s: any(c.name.startswith("incident-") and c.pins for c in s.channels.values()),
        timeout=10,
    )
    channel = next(c for c in slack.channels.values() if c.name.startswith("incident-"))
    await sender.join("bob", channel.id)
    return channel


async def executor_ms(database_url: str) -> list[float]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT (outcome->>'duration_ms')::float AS ms FROM approval_requests ORDER BY id"
        )
    finally:
        await conn.close()
    return [r["ms"] for r in rows]


async def main(requests: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        target_url = await runbook_targets.create_database(
            database_url, "incident_bot_bench_target"
        )
        await runbook_targets.reset(target_url)
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            for name in ("alice", "bob"):
                slack.add_user(name)
            slack.add_channel("incidents", members=["alice", "bob", "incident-bot"])
            async with running_bot(
                slack, database_url, port, env={"ROLLOUT_DATABASE_URL": target_url}
            ):
                sender = SlackSender(slack)
                channel = await declare(slack, sender)
                for _ in range(10):  # warm-up: pools, prepared statements, the target's pool
                    await one_approval(slack, sender, channel)
                started = time.perf_counter()
                latencies = [await one_approval(slack, sender, channel) for _ in range(requests)]
                wall = time.perf_counter() - started
                executions = (await executor_ms(database_url))[10:]
    print(f"approvals: {requests}, one at a time, in {wall:.2f} s (requests and cards included)")
    print(summary("Approve click → outcome posted, ms", latencies))
    print(summary("of which the SQL action itself (statement, commit, verify), ms", executions))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.port or free_port()))
