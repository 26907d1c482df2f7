"""`/incident status` from 200 people at once, for 30 s: late acks, lost replies, memory.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; declares one incident, then keeps
`--concurrency` signed `/incident status` commands in flight from its channel for `--seconds`
(each sender sends its next command as soon as the last is acked). Slack waits 3 s for an
ack; the stand-in gives up at 3 s too, so such a command counts as late. A reply reaches
Slack either in the ack's body or through the command's `response_url` afterwards (up to
`--grace` seconds after the load stops: a reply that comes late is not lost). Prints acks past 3 s (count and %), ack p50/p99,
replies delivered out of commands sent, and the bot's RSS before the load and at its peak.

    .venv/bin/python -m bench.status_load [--concurrency 200] [--seconds 30]
"""

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.harness import cpu_seconds, declare_one, memory_mib, percentile, rss_mib, serve_bot
from bot.demo.standin import SlackSender, SlackStandIn
from bot.store.db import start_embedded

SLACK_ACK_DEADLINE_MS = 3000.0


@dataclass(frozen=True)
class Sent:
    """One command: its ack (status None: no answer within 3 s), and where its reply can go."""

    status: int | None
    elapsed_ms: float
    answered_in_ack: bool
    response_token: str

    @property
    def late(self) -> bool:
        return self.status is None or self.elapsed_ms >= SLACK_ACK_DEADLINE_MS


def replied(slack: SlackStandIn, sent: Sent) -> bool:
    """Whether the reply reached Slack: in the ack, or posted to its response_url."""
    url = slack.response_urls.get(sent.response_token)
    return sent.answered_in_ack or (url is not None and url.uses > 0)


async def sustain(
    sender: SlackSender, channel: str, concurrency: int, seconds: float
) -> list[Sent]:
    """`concurrency` senders, each sending its next command once the last is acked."""
    deadline = time.monotonic() + seconds
    sent: list[Sent] = []

    async def one_sender() -> None:
        while time.monotonic() < deadline:
            result = await sender.slash("status", user="bob", channel=channel)
            body = result.json or {}
            sent.append(
                Sent(
                    result.status,
                    result.elapsed_ms,
                    result.status == 200 and bool(body.get("text") or body.get("blocks")),
                    result.response_url.rsplit("/", 1)[1],
                )
            )

    await asyncio.gather(*(one_sender() for _ in range(concurrency)))
    return sent


async def sample_rss(pid: int, peak: list[float]) -> None:
    """Keep the highest RSS seen (every 0.2 s, until cancelled)."""
    while True:
        peak[0] = max(peak[0], rss_mib(pid))
        await asyncio.sleep(0.2)


async def wait_for_replies(
    slack: SlackStandIn, sent: list[Sent], grace: float
) -> tuple[int, int, float]:
    """Replies delivered when the load stopped, and once all are in or `grace` seconds have
    passed, with how long that took (checked twice a second: a predicate over every command
    on each change would slow the stand-in)."""
    started = time.monotonic()
    at_stop = sum(replied(slack, s) for s in sent)
    delivered = at_stop
    while delivered < len(sent) and time.monotonic() - started < grace:
        await asyncio.sleep(0.5)
        delivered = sum(replied(slack, s) for s in sent)
    return at_stop, delivered, time.monotonic() - started


async def main(concurrency: int, seconds: float, grace: float, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            for name in ("alice", "bob"):
                slack.add_user(name)
            slack.add_channel("incidents", members=["alice", "bob", "incident-bot"])
            # Slack opens as many connections as it has commands; aiohttp's default is 100.
            if slack.bus.session is not None:
                await slack.bus.session.close()
            slack.bus.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            bot = await serve_bot(slack, database_url, port)
            try:
                channel = await declare_one(slack, "alice")
                rss_start, peak = rss_mib(bot.pid), [0.0]
                cpu_before, own_before = cpu_seconds(bot.pid), time.process_time()
                sampler = asyncio.create_task(sample_rss(bot.pid, peak))
                sent = await sustain(SlackSender(slack), channel.id, concurrency, seconds)
                at_stop, delivered, waited = await wait_for_replies(slack, sent, grace)
                sampler.cancel()
                bot_cpu = cpu_seconds(bot.pid) - cpu_before
                own_cpu = time.process_time() - own_before
                rss_end, high_water = memory_mib(bot.pid)
            finally:
                bot.terminate()
                await bot.wait()
    show(sent, delivered, concurrency, seconds, (rss_start, max(peak[0], rss_end), high_water))
    print(f"replies in Slack when the load stopped: {at_stop} of {len(sent)}")
    if delivered == len(sent):
        print(f"the last reply reached Slack {waited:.1f} s after the load stopped")
    else:
        print(f"{len(sent) - delivered} replies still missing {grace:.0f} s after the load stopped")
    print(f"CPU s: bot {bot_cpu:.1f}, load generator + Slack stand-in {own_cpu:.1f}")


def show(
    sent: list[Sent],
    delivered: int,
    concurrency: int,
    seconds: float,
    rss: tuple[float, float, float],
) -> None:
    acked = [s.elapsed_ms for s in sent if s.status is not None]
    late = sum(s.late for s in sent)
    failed = sum(1 for s in sent if s.status is not None and s.status != 200)
    in_ack = sum(s.answered_in_ack for s in sent)
    print(f"commands: {len(sent)} in {seconds:.0f} s, {concurrency} in flight")
    print(f"acks past 3 s: {late} ({late / len(sent):.2%}); non-200 acks: {failed}")
    print(
        f"ack ms (answered ones): p50 {percentile(acked, 0.5):.0f}  "
        f"p99 {percentile(acked, 0.99):.0f}  max {max(acked):.0f}"
    )
    print(
        f"replies reached Slack: {delivered} of {len(sent)} ({delivered / len(sent):.2%}); "
        f"{in_ack} in the ack itself, {delivered - in_ack} through response_url"
    )
    start, peak, high_water = rss
    print(
        f"bot RSS MiB: {start:.0f} at the start, peak {peak:.0f} sampled (VmHWM {high_water:.0f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--grace", type=float, default=120.0, help="wait for late replies")
    parser.add_argument("--port", type=int, default=3924)
    args = parser.parse_args()
    asyncio.run(main(args.concurrency, args.seconds, args.grace, args.port))
