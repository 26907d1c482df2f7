"""Checklist ticks: 10 people ticking 50 items as fast as their clicks arrive.

Starts an embedded PostgreSQL (or uses DATABASE_URL), the Slack stand-in in this process, and
`incident-bot serve` as a separate process with a policy holding a 50-item checklist; declares
one incident, posts the checklist, then `--clickers` people each tick their share of the items
back to back, all at once, each click a signed checkbox `block_actions` drawn from the message
as Slack shows it at that moment. Prints p50/p99/max of each click's ack, how long until the
message showed all the items ticked, and how many `chat.update` calls it took (edits of one
message coalesce while they wait in the outbox).

    .venv/bin/python -m bench.checklist_ticks [--items 50] [--clickers 10]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import cpu_seconds, declare_one, percentile, serve_bot
from bot.demo.standin import Message, SlackSender, SlackStandIn
from bot.store.db import start_embedded

TITLE = "Bench checklist"
WARMUP = "Warm-up checklist"
PROFILE = ("-m", "cProfile", "-o", os.environ.get("BENCH_PROFILE", ""))
"""`BENCH_PROFILE=bot.prof` runs the bot under cProfile, written there when it stops."""


def _policy(items: int) -> str:
    """The bench checklist, and a warm-up one ticked first (connections, prepared statements)."""
    lines = ["checklists:"]
    for name, title in (("warmup", WARMUP), ("bench", TITLE)):
        lines += [f"  {name}:", f"    title: {title}", "    items:"]
        lines += [f"      - Item {n:03d} done" for n in range(1, items + 1)]
    return "\n".join(lines) + "\n"


def _checklist(slack: SlackStandIn, channel: str, title: str) -> Message | None:
    return next((m for m in slack.messages(channel) if m.text.startswith(title)), None)


def _ticked(message: Message) -> int:
    return sum(
        len(e.get("initial_options") or [])
        for b in message.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    )


async def _posted(
    sender: SlackSender, slack: SlackStandIn, channel: str, name: str, title: str
) -> Message:
    await sender.slash(f"checklist {name}", user="alice", channel=channel)
    await slack.wait_for(lambda s: _checklist(s, channel, title) is not None, timeout=10)
    message = _checklist(slack, channel, title)
    assert message is not None
    return message


async def _tick_all(
    sender: SlackSender, message: Message, people: list[str], items: int
) -> list[float]:
    """Each person ticks every len(people)-th item, back to back, all at once; the acks' ms."""

    async def clicker(index: int) -> list[float]:
        took = []
        for n in range(index + 1, items + 1, len(people)):
            item = f"Item {n:03d} done"
            result = await sender.tick(people[index], message.channel, message.ts, item)
            if result.status != 200:
                raise SystemExit(f"ack failed: {result.status} {result.body_text}")
            took.append(result.elapsed_ms)
        return took

    done = await asyncio.gather(*(clicker(i) for i in range(len(people))))
    return [ms for each in done for ms in each]


async def main(items: int, clickers: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database_url = (
            os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        )
        policy = Path(scratch) / "policy.yaml"
        policy.write_text(_policy(items))
        people = [f"person{n}" for n in range(clickers)]
        async with SlackStandIn(emit_bot_message_events=False) as slack:
            for name in ("alice", *people):
                slack.add_user(name)
            slack.add_channel("incidents", members=["alice", "incident-bot", *people])
            env = {"INCIDENT_BOT_CONFIG": str(policy)}
            bot = await serve_bot(
                slack,
                database_url,
                port,
                *(PROFILE if os.environ.get("BENCH_PROFILE") else ()),
                env=env,
            )
            try:
                sender = SlackSender(slack)
                channel = await declare_one(slack, "alice")
                for person in people:
                    await sender.join(person, channel.id)
                warmup = await _posted(sender, slack, channel.id, "warmup", WARMUP)
                await _tick_all(sender, warmup, people, items)
                await slack.wait_for(lambda s: _ticked(warmup) == items, timeout=60)
                message = await _posted(sender, slack, channel.id, "bench", TITLE)
                updates_before = sum(c.method == "chat.update" for c in slack.calls)
                cpu_before = cpu_seconds(bot.pid)
                started = time.perf_counter()
                acks = await _tick_all(sender, message, people, items)
                clicked = time.perf_counter() - started
                await slack.wait_for(lambda s: _ticked(message) == items, timeout=60)
                shown = time.perf_counter() - started
                bot_cpu = cpu_seconds(bot.pid) - cpu_before
                updates = sum(c.method == "chat.update" for c in slack.calls) - updates_before
                header = message.blocks[0]["text"]["text"]
            finally:
                bot.terminate()
                await bot.wait()
    print(f"items: {items}, clickers: {clickers}, clicks: {len(acks)}")
    print(
        f"ack latency ms: p50 {percentile(acks, 0.5):.1f}  p99 {percentile(acks, 0.99):.1f}  "
        f"max {max(acks):.1f}  mean {statistics.fmean(acks):.1f}"
    )
    print(
        f"all clicks sent in {clicked:.2f} s; the message showed {items}/{items} ticked "
        f"after {shown:.2f} s ({header!r}), in {updates} chat.update calls"
    )
    print(f"bot CPU s: {bot_cpu:.2f} ({bot_cpu / len(acks) * 1000:.1f} ms/click)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--clickers", type=int, default=10)
    parser.add_argument("--port", type=int, default=3919)
    args = parser.parse_args()
    asyncio.run(main(args.items, args.clickers, args.port))
