"""Declare → first message: how long `/incident declare` takes to show in its new channel.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; then sends `--declarations` signed
`/incident declare` slash commands from #incidents, `--concurrency` in flight at a time (one is
in flight until its first message is in). For each, the time runs from sending the command to
the stand-in receiving the `chat.postMessage` of the first message into the new channel (the
message's ts is the stand-in's clock when it took the call). Prints p50/p99/max of that, of the
ack, and the throughput (declarations whose first message is in, per second).

    .venv/bin/python -m bench.declare [--declarations 200] [--concurrency 5] [--gap-ms 0]

`--gap-ms` waits that long after each first message before the next declaration is sent: with
`--concurrency 1 --gap-ms 10` each declaration meets an idle bot (the previous one's set-up —
pin, topic, invitation, announcement, answer — is delivered by then), which times one
declaration; without a gap the next one shares the bot with that set-up.

Run with `BENCH_BOT_SOURCE=/path/to/checkout` to time another checkout's bot (bench/harness.py).
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import CallTimes, cpu_seconds, percentile, rss_mib, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.demo.standin.state import BOT_USER_ID
from bot.store.db import start_embedded

WARM_UP = 20
"""Declarations before the clock starts: each of the pool's ten connections prepares a statement the
first time it runs it, and five left the first timed ones paying for that."""
TITLE = "Declaration {n} of the benchmark"


class FirstMessages:
    """Watches the stand-in for new incident channels and the bot's first message in each.

    One watcher for every declaration: it looks only at channels whose first message it has
    not seen yet, so the stand-in (which shares this process) is not slowed by the looking.
    """

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack = slack
        self.seen: set[str] = set()
        self.waiting: dict[str, asyncio.Future[tuple[float, str]]] = {}

    def expect(self, title: str) -> "asyncio.Future[tuple[float, str]]":
        """Resolved with the first message's ts and its channel's name."""
        future: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
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
                    future.set_result((float(first.ts), channel.name))
        return False

    async def run(self, seconds: float) -> None:
        """Keep looking (until cancelled, at most `seconds`)."""
        try:
            await self.slack.wait_for(self.look, timeout=seconds)
        except TimeoutError:
            return


@dataclass(frozen=True)
class Timing:
    """One declaration: its ack, when it was sent, and its first message (unix seconds)."""

    ack_ms: float
    sent: float
    first: float
    channel: str

    @property
    def first_ms(self) -> float:
        return (self.first - self.sent) * 1000


async def declare(sender: SlackSender, watcher: FirstMessages, n: int) -> Timing:
    title = TITLE.format(n=n)
    arrived = watcher.expect(title)
    sent = time.time()
    result = await sender.slash(f"declare sev2 {title}", user="alice", channel="incidents")
    if result.status != 200:
        raise SystemExit(f"declare {n} was not acked: {result.status} {result.body_text[:200]}")
    first, channel = await asyncio.wait_for(arrived, timeout=30)
    return Timing(result.elapsed_ms, sent, first, channel)


def split(timings: list[Timing], calls: CallTimes) -> tuple[list[float], list[float]]:
    """ms from sending to `conversations.create` reaching Slack, and from there to the first
    message: where the time goes."""
    created = {
        str(call.params.get("name")): at
        for call, at in zip(calls.slack.calls, calls.times, strict=False)
        if call.method == "conversations.create" and call.error is None
    }
    to_create = [(created[t.channel] - t.sent) * 1000 for t in timings]
    to_post = [(t.first - created[t.channel]) * 1000 for t in timings]
    return to_create, to_post


async def measure(
    slack: SlackStandIn,
    watcher: FirstMessages,
    bot_pid: int,
    declarations: int,
    concurrency: int,
    gap: float,
) -> tuple[list[Timing], float, float]:
    """Warm up, then declare `declarations` times, `concurrency` at a time; with the wall time
    and the bot's CPU seconds."""
    sender = SlackSender(slack)
    for n in range(WARM_UP):  # connections, prepared statements, templates
        await declare(sender, watcher, 10_000 + n)
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> Timing:
        async with gate:
            timing = await declare(sender, watcher, n)
            await asyncio.sleep(gap)  # a gap between declarations, not a wait for something
            return timing

    started, cpu_before = time.perf_counter(), cpu_seconds(bot_pid)
    timings = await asyncio.gather(*(one(n) for n in range(declarations)))
    return timings, time.perf_counter() - started, cpu_seconds(bot_pid) - cpu_before


async def main(declarations: int, concurrency: int, gap_ms: float, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            slack.add_user("alice")
            slack.add_channel("incidents", members=["alice", "incident-bot"])
            bot = await serve_bot(slack, database_url, port)
            watcher, calls = FirstMessages(slack), CallTimes(slack)
            looking = [asyncio.create_task(w.run(600)) for w in (watcher, calls)]
            try:
                rss_before = rss_mib(bot.pid)
                timings, wall, bot_cpu = await measure(
                    slack, watcher, bot.pid, declarations, concurrency, gap_ms / 1000
                )
                rss_after = rss_mib(bot.pid)
                to_create, to_post = split(timings, calls)
            finally:
                for task in looking:
                    task.cancel()
                bot.terminate()
                await bot.wait()
    print(f"declarations: {declarations}, concurrency: {concurrency}, gap: {gap_ms:g} ms")
    print(summary("declare → first message in its channel, ms", [t.first_ms for t in timings]))
    print(summary("  of which declare → conversations.create reaches Slack", to_create))
    print(summary("  and conversations.create → the first message reaches Slack", to_post))
    print(summary("declare ack, ms", [t.ack_ms for t in timings]))
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
    parser.add_argument("--gap-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=3923)
    args = parser.parse_args()
    asyncio.run(main(args.declarations, args.concurrency, args.gap_ms, args.port))
