"""Ack latency of `/incident status` under load, against a running bot process.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; declares one incident, then sends
signed `/incident status` slash commands from the incident channel, `--concurrency` at a time,
and prints p50/p99/max of the time until the bot's HTTP ack, plus the bot's RSS.

It also prints when the person saw the status card: the ack itself when the card is in it,
otherwise the bot's first POST to the command's `response_url` (the stand-in's clock). An empty
ack and a card that follows is how a bot answered before issue 10; the card in the ack is how it
answers now, so only this second figure compares what people wait for.

    .venv/bin/python -m bench.ack_latency [--requests 500] [--concurrency 50]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import cpu_seconds, declare_one, percentile, rss_mib, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.demo.standin.events import SlashResult
from bot.store.db import start_embedded


@dataclass(frozen=True)
class Timed:
    """One `/incident status`: when it was sent (the stand-in's clock) and Slack's view of it."""

    sent: float
    result: SlashResult

    @property
    def in_ack(self) -> bool:
        body = self.result.json or {}
        return bool(body.get("text") or body.get("blocks"))

    def answer_ms(self, slack: SlackStandIn) -> float:
        """Until the person saw the card: the ack, or the first POST to the response_url."""
        if self.in_ack:
            return self.result.elapsed_ms
        token = self.result.response_url.rsplit("/", 1)[-1]
        first_used = slack.response_urls[token].first_used
        if first_used is None:
            raise SystemExit("a status card never came")
        return (first_used - self.sent) * 1000


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

                async def one() -> Timed:
                    async with gate:
                        sent = slack.now()
                        result = await sender.slash("status", user="bob", channel=channel.id)
                        if result.status != 200:
                            raise SystemExit(
                                f"ack failed: {result.status} {result.body_text[:200]}"
                            )
                        return Timed(sent, result)

                for _ in range(50):  # warm-up: connections, prepared statements
                    await one()
                cpu_before, own_before = cpu_seconds(bot.pid), time.process_time()
                started = time.perf_counter()
                timed = await asyncio.gather(*(one() for _ in range(requests)))
                await slack.wait_for(
                    lambda s: len(s.ephemerals("bob")) >= requests + 50, timeout=60
                )
                latencies = [t.result.elapsed_ms for t in timed]
                answers = [t.answer_ms(slack) for t in timed]
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
        f"status card shown, ms: p50 {percentile(answers, 0.5):.1f}  "
        f"p99 {percentile(answers, 0.99):.1f}  max {max(answers):.1f}  "
        f"mean {statistics.fmean(answers):.1f}  "
        f"(in the ack: {sum(t.in_ack for t in timed)} of {requests})"
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
