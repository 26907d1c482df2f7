"""Ack latency of `/incident status` under load, against a running bot process.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process pointed at it; declares one incident, then sends
signed `/incident status` slash commands from the incident channel, `--concurrency` at a time,
and prints p50/p99/max of the time until the bot's HTTP ack, plus the bot's RSS.

    .venv/bin/python bench/ack_latency.py [--requests 500] [--concurrency 50]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.standin import Channel, SlackSender, SlackStandIn
from bot.store.db import start_embedded


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit(f"the bot exited with {process.returncode}")
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become ready in 30 s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve_bot(
    slack: SlackStandIn, database_url: str, port: int, *python_options: str
) -> asyncio.subprocess.Process:
    """`incident-bot serve` as a process of its own, talking to `slack`; returned once ready."""
    url = f"http://127.0.0.1:{port}"
    slack.events_url = f"{url}/slack/events"
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "SLACK_APP_TOKEN": "",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, *python_options, "-m", "bot.cli", "serve", env=env
    )
    try:
        await wait_ready(url, bot)
    except BaseException:
        if bot.returncode is None:
            bot.terminate()
        raise
    return bot


async def declare_one(slack: SlackStandIn, user: str) -> Channel:
    """Declare an incident from #incidents and return its channel once it is set up."""
    await SlackSender(slack).slash(
        "declare sev2 Benchmark incident", user=user, channel="incidents"
    )
    await slack.wait_for(
        lambda s: any(c.name.startswith("incident-") and c.pins for c in s.channels.values()),
        timeout=10,
    )
    return next(c for c in slack.channels.values() if c.name.startswith("incident-"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


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
