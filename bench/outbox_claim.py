"""One outbox claim, when one lane is thousands of effects deep in front of the others.

An announce channel during an escalation storm, or any channel Slack is slow for, can hold
thousands of waiting effects in one lane while one of them is being delivered; the other lanes'
effects come after them in id order. Starts an embedded PostgreSQL (or uses DATABASE_URL), writes
`--depth` waiting effects in one lane (its oldest claimed by this process, as a replica
delivering it would), then `--others` effects in lanes of their own, and `--done` delivered ones;
then times `outbox.claim` of a batch of 16 `--runs` times, each in a transaction rolled back so
every run meets the same table. Prints the claim's p50 / p99 and what it took.

    .venv/bin/python -m bench.outbox_claim [--depth 10000] [--others 2000] [--done 100000]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import percentile
from bot.store import outbox
from bot.store.db import Connection, connect, start_embedded
from bot.store.migrate import migrate

BATCH = 16
LEASE = timedelta(minutes=1)


class RolledBack(Exception):
    """Ends a timed claim's transaction so that the next run meets the same rows."""


async def fill(conn: Connection, *, depth: int, others: int, done: int, now: datetime) -> None:
    await conn.execute(
        """INSERT INTO outbox (lane, method, args, about, state, due_at, created_at, done_at)
           SELECT 'channel:C' || (g % 5000), 'post', '{"text": "delivered"}', 'x', 'done',
                  $2, $2, $2
           FROM generate_series(1, $1) AS g""",
        done,
        now,
    )
    for lane, count in (("channel:CANNOUNCE", depth), (None, others)):
        await conn.execute(
            """INSERT INTO outbox (lane, method, args, about, due_at, created_at)
               SELECT coalesce($2, 'channel:C' || g), 'post', '{"text": "waiting"}', 'x', $3, $3
               FROM generate_series(1, $1) AS g""",
            count,
            lane,
            now,
        )
    await conn.execute(  # the deep lane's oldest is being delivered by a live replica
        """UPDATE outbox SET state = 'running', attempts = 1, leased_until = $1, claimed_by = $2
           WHERE id = (SELECT min(id) FROM outbox WHERE lane = 'channel:CANNOUNCE')""",
        now + LEASE,
        conn.get_server_pid(),
    )
    await conn.execute("ANALYZE outbox")


async def timed_claim(conn: Connection, now: datetime) -> tuple[float, int]:
    """ms for one claim of a batch, and how many effects it took (then rolled back)."""
    taken = 0
    started = time.perf_counter()
    try:
        async with conn.transaction():
            claimed = await outbox.claim(
                conn, now=now, lease=LEASE, limit=BATCH, owner=conn.get_server_pid()
            )
            taken = len(claimed)
            elapsed = (time.perf_counter() - started) * 1000
            raise RolledBack
    except RolledBack:
        return elapsed, taken


async def main(depth: int, others: int, done: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        async with connect(url) as pool, pool.acquire() as conn:
            await migrate(conn)
            now = datetime.now(UTC)
            await fill(conn, depth=depth, others=others, done=done, now=now)
            timings = [await timed_claim(conn, now) for _ in range(runs)]
    ms = [elapsed for elapsed, _ in timings]
    print(f"one lane {depth} deep (its oldest being delivered), {others} other lanes, {done} done")
    print(
        f"claim of {BATCH}: p50 {percentile(ms, 0.5):.2f} ms  p99 {percentile(ms, 0.99):.2f} ms  "
        f"mean {statistics.fmean(ms):.2f} ms over {runs} runs; took {timings[0][1]} effects"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2_000)
    parser.add_argument("--done", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.depth, args.others, args.done, args.runs))
