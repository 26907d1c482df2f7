"""`incident-bot stats --since 30d --format json|csv [--chart PATH]`: the figures for scripts."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store.db import Pool
from tests.cli import run_cli
from tests.integration.figures.seeding import seed_incident

ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "test-secret", "LOG_LEVEL": "ERROR"}


async def _seed(db: Pool) -> None:
    """Incidents of the last days, whatever day the CLI runs (it reads the system clock)."""
    now = datetime.now(UTC)
    async with db.acquire() as conn:
        for minutes in (30, 90):
            await seed_incident(
                conn,
                "sev1",
                now - timedelta(days=2),
                respond=timedelta(minutes=5),
                resolve=timedelta(minutes=minutes),
            )
        await seed_incident(conn, "sev2", now - timedelta(days=3), drill=True)


async def test_stats_prints_the_figures_as_json(db: Pool, migrated: str, tmp_path: Path) -> None:
    await _seed(db)
    chart = tmp_path / "chart.png"
    done = run_cli(
        "stats",
        "--since",
        "7d",
        "--format",
        "json",
        "--chart",
        str(chart),
        cwd=tmp_path,
        env={**ENV, "DATABASE_URL": migrated},
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["incidents"] == 2
    assert figures["drills"] == 1
    assert figures["times"]["resolution"] == {"median": 3600.0, "p90": 5040.0, "count": 2}
    assert figures["by_severity"][0]["severity"] == "sev1"
    assert chart.read_bytes().startswith(b"\x89PNG")


async def test_stats_prints_the_figures_as_csv(db: Pool, migrated: str, tmp_path: Path) -> None:
    await _seed(db)
    done = run_cli(
        "stats",
        "--since",
        "30d",
        "--format",
        "csv",
        cwd=tmp_path,
        env={**ENV, "DATABASE_URL": migrated},
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    resolution = next(r for r in rows if r["severity"] == "sev1" and r["measure"] == "resolution")
    assert resolution["median_seconds"] == "3600.0"
    assert resolution["count"] == "2"


def test_a_period_that_makes_no_sense_exits_2(migrated: str, tmp_path: Path) -> None:
    done = run_cli("stats", "--since", "1000y", cwd=tmp_path, env={**ENV, "DATABASE_URL": migrated})
    assert done.returncode == 2
    assert done.stderr.startswith("error: `1000y` is not a period")
    assert "Traceback" not in done.stderr
