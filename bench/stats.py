"""`/incident stats 90d` over 10,000 incidents and 50,000 follow-ups, and the chart's render.

Starts an embedded PostgreSQL (or uses DATABASE_URL: give it an empty database), applies the
migrations, seeds a year of incidents with timeline entries (declaration, a person's message,
an update to mitigating; the resolution) written through the table's trigger as the bot writes
them, and follow-ups; then runs what the ack runs for `/incident stats 90d` (the service: the
period's rows, the figures, the chart's outbox row, the Block Kit answer) `--runs` times, one
at a time, and draws the period's chart `--charts` times.

    .venv/bin/python -m bench.stats [--incidents 10000] [--followups 50000] [--runs 200]
"""

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import percentile
from bot.charts import render_png
from bot.config import Policy
from bot.domain.commands import PeriodSpec, ShowStats
from bot.domain.figures import period_of
from bot.metrics import Metrics
from bot.services.context import Invocation
from bot.services.figures import FiguresService
from bot.slack.figure_messages import FigureMessages
from bot.slack.messages import SlackMessage
from bot.slack.templates import Templates
from bot.store.db import Pool, create_pool, start_embedded
from bot.store.migrate import migrate

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
POLICY = Policy.model_validate(
    {"targets": {"sev1": {"mitigate": "30m", "resolve": "2h"}, "sev2": {"resolve": "4h"}}}
)

_INCIDENTS = """
INSERT INTO incidents (channel_id, channel_name, title, severity, status, declared_by,
                       declared_at, commander, resolved_at, resolution, drill)
SELECT 'CB' || n, 'incident-bench-' || n, 'Bench incident ' || n, 'sev' || (1 + n % 4),
       CASE WHEN n % 50 = 0 THEN 'investigating' ELSE 'resolved' END, 'U0ALICE',
       $2::timestamptz - make_interval(mins => (n * 52)), 'U0ALICE',
       CASE WHEN n % 50 = 0 THEN NULL
            ELSE $2::timestamptz - make_interval(mins => (n * 52)) + make_interval(mins => 20 + n % 300) END,
       'done', n % 25 = 0
FROM generate_series(1, $1) AS n
"""
_ENTRIES = """
INSERT INTO timeline_entries (incident_id, at, kind, actor, body, slack_ts, data)
SELECT id, declared_at + make_interval(mins => (step * (1 + id % 17))::int),
       (ARRAY['declared', 'message', 'update'])[step + 1], 'U0BOB', 'bench',
       CASE WHEN step = 1 THEN 'ts' || id END,
       CASE WHEN step = 2 THEN '{"status": "mitigating"}'::jsonb ELSE '{}'::jsonb END
FROM incidents, generate_series(0, 2) AS step
"""
_FOLLOWUPS = """
INSERT INTO followups (incident_id, text, owner_id, due_on, state, created_by, created_at,
                       closed_at)
SELECT i.id, 'Follow-up ' || n, 'U0OWNER' || (n % 40), (i.declared_at + interval '14 days')::date,
       (ARRAY['open', 'done', 'dropped'])[1 + n % 3], 'U0ALICE', i.declared_at + interval '1 day',
       CASE WHEN n % 3 = 0 THEN NULL ELSE i.declared_at + interval '5 days' END
FROM generate_series(1, $1) AS n JOIN incidents i ON i.id = 1 + n % $2
"""


async def seed(pool: Pool, incidents: int, followups: int) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await migrate(conn)
        await conn.execute(_INCIDENTS, incidents, NOW)
        await conn.execute(_ENTRIES)
        await conn.execute(_FOLLOWUPS, followups, incidents)
        await conn.execute("ANALYZE")
    return time.perf_counter() - started


async def main(incidents: int, followups: int, runs: int, charts: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("DATABASE_URL") or start_embedded(Path(scratch) / "pg").get_uri()
        pool = await create_pool(url, min_size=2, max_size=4)
        try:
            seeded = await seed(pool, incidents, followups)
            print(f"seeded {incidents} incidents, {followups} follow-ups in {seeded:.1f} s")
            messages = FigureMessages(Templates(POLICY.tz), POLICY)
            service = FiguresService(pool, POLICY, messages, lambda: NOW, Metrics())
            answers: list[SlackMessage] = []

            async def keep(message: SlackMessage) -> None:
                answers.append(message)

            command = ShowStats(PeriodSpec(days=90))
            timings = []
            for n in range(runs + 20):
                who = Invocation("U0CAROL", "C0INCIDENTS", f"command:bench-{n}")
                started = time.perf_counter()
                await service.stats(command, who, keep)
                if n >= 20:  # warm-up: connections, prepared statements
                    timings.append((time.perf_counter() - started) * 1000)
            print(
                f"/incident stats 90d ({runs} runs): p50 {percentile(timings, 0.5):.1f} ms, "
                f"p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms"
            )
            _, chart = await service.chart_of(period_of(command.period, NOW, POLICY.tz))
            renders = []
            for _ in range(charts + 1):
                started = time.perf_counter()
                png = render_png(chart)
                renders.append((time.perf_counter() - started) * 1000)
            print(
                f"chart of {len(chart.points)} incidents ({len(png) // 1024} KiB): first "
                f"{renders[0]:.0f} ms (imports matplotlib), then p50 "
                f"{percentile(renders[1:], 0.5):.0f} ms, max {max(renders[1:]):.0f} ms"
            )
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--followups", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--charts", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.incidents, args.followups, args.runs, args.charts))
