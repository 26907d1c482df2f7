"""Declare → first message: how long `/incident declare` takes to show in its new channel.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; then sends `--declarations` signed
`/incident declare` slash commands from #incidents, `--concurrency` in flight at a time (one is
in flight until its first message is in). For each, the time runs from sending the command to
the stand-in receiving the `chat.postMessage` of the first message into the new channel (the
message's ts is the stand-in's clock when it took the call). Prints p50/p99/max of that, of the
ack, and the throughput (declarations whose first message is in, per second).

    .venv/bin/python -m bench.declare [--declarations 200] [--concurrency 5]

Run with `BENCH_BOT_SOURCE=/path/to/checkout` to time another checkout's bot (bench/harness.py).
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import cpu_seconds, percentile, rss_mib, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.demo.standin.state import BOT_USER_ID
from bot.store.db import start_embedded

WARM_UP = 5
TITLE = "Declaration {n} of the benchmark"


class FirstMessages:
    """Watches the stand-in for new incident channels and the bot's first message in each.

    One watcher for every declaration: it looks only at channels whose first message it has
    not seen yet, so the stand-in (which shares this process) is not slowed by the looking.
    """

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack = slack
        self.seen: set[str] = set()
        self.waiting: dict[str, asyncio.Future[float]] = {}

    def expect(self, title: str) -> "asyncio.Future[float]":
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[title] = future
        return future

    def look(self, slack: SlackStandIn) -> bool:
        for channel in list(slack.channels.values()):
            if channel.id in self.seen or not channel.name.startswith("incident-"):
                continue
            first = next(
                (
                    m
                    for m in slack.message_log.get(channel.id, [])
                    if m.user == BOT_USER_ID and m.subtype is None
                ),
                None,
            )
            if first is None:
                continue
            self.seen.add(channel.id)
            words = f"{first.text} {first.blocks}"
            for title, future in list(self.waiting.items()):
                if title in words:
                    del self.waiting[title]
                    future.set_result(float(first.ts))
        return False

    async def run(self, seconds: float) -> None:
        """Keep looking (until cancelled, at most `seconds`)."""
        try:
            await self.slack.wait_for(self.look, timeout=seconds)
        except TimeoutError:
            return


async def declare(sender: SlackSender, watcher: FirstMessages, n: int) -> tuple[float, float]:
    """(ack ms, ms from sending to the first message's arrival at the stand-in)."""
    title = TITLE.format(n=n)
    arrived = watcher.expect(title)
    sent = time.time()
    result = await sender.slash(f"declare sev2 {title}", user="alice", channel="incidents")
    if result.status != 200:
        raise SystemExit(f"declare {n} was not acked: {result.status} {result.body_text[:200]}")
    first_ts = await asyncio.wait_for(arrived, timeout=30)
    return result.elapsed_ms, (first_ts - sent) * 1000


async def main(declarations: int, concurrency: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            slack.add_user("alice")
            slack.add_channel("incidents", members=["alice", "incident-bot"])
            bot = await serve_bot(slack, database_url, port)
            sender, watcher = SlackSender(slack), FirstMessages(slack)
            looking = asyncio.create_task(watcher.run(600))
            try:
                for n in range(WARM_UP):  # connections, prepared statements, templates
                    await declare(sender, watcher, 10_000 + n)
                rss_before = rss_mib(bot.pid)
                cpu_before = cpu_seconds(bot.pid)
                gate = asyncio.Semaphore(concurrency)

                async def one(n: int) -> tuple[float, float]:
                    async with gate:
                        return await declare(sender, watcher, n)

                started = time.perf_counter()
                timings = await asyncio.gather(*(one(n) for n in range(declarations)))
                wall = time.perf_counter() - started
                bot_cpu, rss_after = cpu_seconds(bot.pid) - cpu_before, rss_mib(bot.pid)
            finally:
                looking.cancel()
                bot.terminate()
                await bot.wait()
    acks, firsts = [a for a, _ in timings], [f for _, f in timings]
    print(f"declarations: {declarations}, concurrency: {concurrency}")
    print(summary("declare → first message in its channel, ms", firsts))
    print(summary("declare ack, ms", acks))
    print(
        f"throughput: {declarations / wall:.1f} declarations/s ({declarations} in {wall:.1f} s); "
        f"bot CPU {bot_cpu:.2f} s ({bot_cpu / declarations * 1000:.1f} ms/declaration)"
    )
    print(f"bot RSS MiB: {rss_before:.0f} before, {rss_after:.0f} after")


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {percentile(values, 0.5):.1f}  p99 {percentile(values, 0.99):.1f}  "
        f"max {max(values):.1f}  mean {statistics.fmean(values):.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--port", type=int, default=3923)
    args = parser.parse_args()
    asyncio.run(main(args.declarations, args.concurrency, args.port))
