"""Ack latency of `/incident status` under load, against a running bot process.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; declares one incident, then sends
signed `/incident status` slash commands from the incident channel, `--concurrency` at a time,
and prints p50/p99/max of the time until the bot's HTTP ack, plus the bot's RSS.

    .venv/bin/python -m bench.ack_latency [--requests 500] [--concurrency 50]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import cpu_seconds, declare_one, percentile, rss_mib, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.store.db import start_embedded


async def main(requests: int, concurrency: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            for name in ("alice", "bob"):
                slack.add_user(name)
            slack.add_channel("incidents", members=["alice", "bob", "incident-bot"])
            bot = await serve_bot(slack, database_url, port)
            try:
                sender = SlackSender(slack)
                channel = await declare_one(slack, "alice")
                rss_before = rss_mib(bot.pid)
                gate = asyncio.Semaphore(concurrency)

                async def one() -> float:
                    async with gate:
                        result = await sender.slash("status", user="bob", channel=channel.id)
                        if result.status != 200:
                            raise SystemExit(
                                f"ack failed: {result.status} {result.body_text[:200]}"
                            )
                        return result.elapsed_ms

                for _ in range(50):  # warm-up: connections, prepared statements
                    await one()
                cpu_before, own_before = cpu_seconds(bot.pid), time.process_time()
                started = time.perf_counter()
                latencies = await asyncio.gather(*(one() for _ in range(requests)))
                await slack.wait_for(
                    lambda s: len(s.ephemerals("bob")) >= requests + 50, timeout=60
                )
                wall = time.perf_counter() - started
                bot_cpu, own_cpu = (
                    cpu_seconds(bot.pid) - cpu_before,
                    time.process_time() - own_before,
                )
                rss_after = rss_mib(bot.pid)
            finally:
                bot.terminate()
                await bot.wait()
    print(f"requests: {requests}, concurrency: {concurrency}")
    print(
        f"ack latency ms: p50 {percentile(latencies, 0.5):.1f}  p99 {percentile(latencies, 0.99):.1f}  "
        f"max {max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}"
    )
    print(
        f"every status card delivered: {requests} of {requests}, in {wall:.2f} s "
        f"({requests / wall:.0f} commands/s)"
    )
    print(
        f"CPU s: bot {bot_cpu:.2f} ({bot_cpu / requests * 1000:.2f} ms/command), "
        f"load generator + Slack stand-in {own_cpu:.2f}"
    )
    print(f"bot RSS MiB: {rss_before:.0f} before, {rss_after:.0f} after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=3917)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.port))
