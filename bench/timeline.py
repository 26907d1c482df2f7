"""Timeline throughput: message events through the full HTTP path into PostgreSQL, and the
post-mortem of the timeline they make.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process; declares one incident, then sends `--events` signed
Events API `message` callbacks from `--concurrency` senders at once (each request is built and
signed before the clock starts, so the figures are the bot's). Prints events/s, the ack latency
percentiles and the CPU per event of the bot and of PostgreSQL, checks that every event was
stamped exactly once, then times the post-mortem of that timeline (entries read, names looked
up, Markdown rendered) and its publication (stored and uploaded to the stand-in).

    .venv/bin/python -m bench.timeline [--events 10000] [--concurrency 20] [--profile bot.prof]
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.harness import cpu_seconds, declare_one, free_port, percentile, serve_bot
from bot.config import Policy
from bot.demo.standin import SlackStandIn, sign
from bot.demo.standin.events import envelope
from bot.domain.clock import system_clock
from bot.services.postmortems import PostmortemService
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway, build_client
from bot.slack.templates import Templates
from bot.store import incidents, timeline
from bot.store.db import connect, start_embedded

PEOPLE = 20
WORDS = ["rollback", "deploy", "error", "rate", "p99", "shard", "checkout", "payments", "canary"]


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds used so far by the PostgreSQL serving `data_dir`: postmaster and backends."""
    stats = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stats[int(proc.name)] = (
                command,
                int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]),
            )
        except (OSError, ValueError):
            continue
    master = next(pid for pid, (command, _) in stats.items() if str(data_dir) in command)
    family = [master, *(pid for pid, (_, parent) in stats.items() if parent == master)]
    total = 0.0
    for pid in family:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def message_requests(slack: SlackStandIn, channel: str, count: int) -> list[tuple[bytes, dict]]:
    """`count` signed event callbacks, as Slack would send people's messages in `channel`."""
    people = [u.id for u in slack.users.values() if not u.is_bot]
    built = []
    for n in range(count):
        event = {
            "type": "message",
            "channel": channel,
            "channel_type": "channel",
            "user": people[n % len(people)],
            "text": f"#{n} " + " ".join(WORDS[(n + i) % len(WORDS)] for i in range(12)),
            "ts": slack.next_ts(),
            "client_msg_id": f"bench-{n}",
        }
        event["event_ts"] = event["ts"]
        body = json.dumps(envelope(slack, event)).encode()
        headers = {"Content-Type": "application/json", **sign(slack.signing_secret, body)}
        built.append((body, headers))
    return built


async def send_all(url: str, requests: list[tuple[bytes, dict]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def sender() -> None:
            for body, headers in queue:
                started = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise SystemExit(f"event refused: {response.status}")
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies


async def time_postmortem(database_url: str, slack: SlackStandIn, channel: str) -> None:
    """Write (and publish) the post-mortem of the benchmark's timeline, five times each."""
    policy = Policy()
    async with connect(database_url) as pool, aiohttp.ClientSession() as session:
        client = build_client(slack.bot_token, slack.api_url, max_retries=3, session=session)
        composer = Composer(Templates(policy.tz), policy)
        service = PostmortemService(
            pool, SlackGateway(client, session), policy, composer, system_clock
        )
        async with pool.acquire() as conn:
            incident = await incidents.by_channel(conn, channel)
        assert incident is not None

        async def write() -> str:
            names = await service.prepare(incident)
            async with pool.acquire() as conn:
                entries = await timeline.entries(conn, incident.id)
            return service.write(incident, entries, names)

        async def publish() -> None:
            names = await service.prepare(incident)
            async with pool.acquire() as conn, conn.transaction():
                await service.publish(conn, incident, names, None)

        for label, run in (
            ("written (read + names + render)", write),
            ("published (+ stored + share recorded)", publish),
        ):
            seconds = []
            for _ in range(5):
                started = time.perf_counter()
                await run()
                seconds.append(time.perf_counter() - started)
            print(
                f"  {label}: median {statistics.median(seconds):.3f} s, "
                f"first {seconds[0]:.3f} s, max {max(seconds):.3f} s"
            )
        async with pool.acquire() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM timeline_entries WHERE incident_id = $1", incident.id
            )
        print(f"  {count} entries → {len(await write()) / 1024:.0f} KiB of Markdown")


async def main(events: int, concurrency: int, port: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        pgdata = None if os.environ.get("DATABASE_URL") else Path(scratch) / "pg"
        database_url = os.environ.get("DATABASE_URL") or start_embedded(pgdata).get_uri()
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            for n in range(PEOPLE):
                slack.add_user(f"person{n:02d}", display_name=f"Person {n:02d}")
            slack.add_channel("incidents", members=["person00", "incident-bot"])
            profiling = ("-m", "cProfile", "-o", profile) if profile else ()
            bot = await serve_bot(slack, database_url, port, *profiling)
            try:
                channel = await declare_one(slack, "person00")
                warmup = message_requests(slack, channel.id, 200)
                measured = message_requests(slack, channel.id, events)
                await send_all(slack.events_url, warmup, concurrency)
                cpu_before = cpu_seconds(bot.pid)
                pg_before = postgres_cpu(pgdata) if pgdata else float("nan")
                load_before = os.getloadavg()[0]
                started = time.perf_counter()
                latencies = await send_all(slack.events_url, measured, concurrency)
                wall = time.perf_counter() - started
                bot_cpu = cpu_seconds(bot.pid) - cpu_before
                pg_cpu = (postgres_cpu(pgdata) if pgdata else float("nan")) - pg_before
            finally:
                bot.terminate()
                await bot.wait()
            async with (
                connect(database_url, min_size=1, max_size=1) as pool,
                pool.acquire() as conn,
            ):
                stamped = await conn.fetchval(
                    "SELECT count(*) FROM timeline_entries WHERE kind = 'message'"
                )
            print(
                f"events: {events}, concurrency: {concurrency}, cores: {os.cpu_count()}, "
                f"load average before: {load_before:.2f}"
            )
            print(f"throughput: {events / wall:.0f} events/s ({wall:.2f} s)")
            print(
                f"ack latency ms: p50 {percentile(latencies, 0.5):.1f}  "
                f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
            )
            per_event = (bot_cpu + pg_cpu) / events
            print(
                f"CPU ms/event: bot {bot_cpu / events * 1000:.2f}, PostgreSQL "
                f"{pg_cpu / events * 1000:.2f} → {1 / per_event:.0f} events/s per core of both"
            )
            print(f"stamped exactly once: {stamped == events + len(warmup)} ({stamped} rows)")
            print("post-mortem of that timeline:")
            await time_postmortem(database_url, slack, channel.id)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--port", type=int, default=0, help="the bot's port (default: a free one)")
    parser.add_argument("--profile", metavar="PATH", help="run the bot under cProfile into PATH")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency, args.port or free_port(), args.profile))
